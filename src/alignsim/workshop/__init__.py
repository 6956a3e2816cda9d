"""The workshop page: a facilitator moves a lever, the room watches the revenue lost answer.

`alignsim workshop` (command.py) serves app.py, a Streamlit script. The rest holds no
Streamlit: controls.py maps each control to scenario overrides, figures.py computes the
answer (a paired comparison with cached streams and baseline runs), charts.py describes the
two charts, sources.py reads shipped and uploaded scenarios.
"""
