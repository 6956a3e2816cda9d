"""`prefetch`: a hint to the processor's caches (llvm.prefetch), for numba code.

Hand-written because numba exposes no prefetch; it is one LLVM intrinsic call.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask the processor to bring `array.flat[index]` (C order) into its caches: a hint that
    changes no value (and never faults, even out of bounds). For numbers read soon at an
    address known now: a lead's next step (alignsim.engines.fast), a table row
    (`alignsim.compiled.laws.interpolate`)."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        data = context.make_array(signature.args[0])(context, builder, value=args[0]).data
        at = builder.gep(data, [context.cast(builder, args[1], signature.args[1], types.intp)])
        byte, word = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), (byte, word, word, word)),
            "llvm.prefetch",
        )
        # read (0), keep in all cache levels (3), data (1)
        builder.call(fn, (builder.bitcast(at, byte), word(0), word(3), word(1)))
        return context.get_dummy_value()

    return types.void(array, index), codegen
