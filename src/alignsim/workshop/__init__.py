"""The workshop page: a facilitator moves a lever, the room watches the revenue lost answer.

`alignsim workshop` (alignsim.cli.workshop) serves app.py, a Streamlit script. The rest holds
no Streamlit: controls.py maps each control to scenario overrides, figures.py computes the
answer (a paired comparison with cached streams and baseline runs), charts.py describes the
two charts, sources.py reads shipped and uploaded scenarios.
"""

from pathlib import Path

APP = Path(__file__).with_name("app.py")
"""The page's Streamlit script."""
