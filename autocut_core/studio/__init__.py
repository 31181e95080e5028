"""AutoCut Studio: make and review an ad in the browser (``autocut studio``).

The studio is a face on the core, not a second implementation: a run is the configured
pipeline (a dry run, so the plan can be looked at first), the alternatives of a slot are the
backbone's own ``select`` ranking, and a render is :func:`autocut_core.pipelines.rerender.
render_edited`, what ``autocut render PLAN.json`` does. What the studio adds is the project on
disk (inputs, plan versions with undo and redo), the storyboard page and the JSON API the page
and scripts share.

``project`` (the folder and its inputs), ``versions`` (plan history), ``edits`` (swap, move,
reword, music, look), ``making`` (index, run, rank alternatives), ``jobs`` (one worker per
project, so renders queue), ``events`` (a progress Reporter feeding server-sent events),
``security`` (token, paths, uploads), ``app`` (the FastAPI routes), ``server`` (uvicorn),
``example`` (the bundled example as a project). Nothing here is imported by ``autocut_core``
or ``autocut --help``: only ``autocut studio`` loads the web stack.
"""
