"""The describe pipeline, one module per stage, in the order an image goes through them:

1. ``load``       check and decode the file, turn it upright, flatten it, scale it, find blanks
2. ``perceive``   caption the picture and its parts, read its text (the parts: core.perception)
3. ``facts``      the one typed value holding everything perceived
4. ``prompt``     the blind-reader prompt from the facts, in the user's language
5. ``write``      the writer streams a description (``attempts``: the one L1/L2/L3 attempt
                  loop, shared with follow-up answers; ``retry``: L1 backoff)
6. ``check``      L2 rules and the L3 quality score; ``fallback``: the facts read out instead
7. ``result``     the events the pipeline reports and the final Result

``run`` is the orchestrator (:class:`~lookaloud.core.pipeline.run.Pipeline`), doing only
orchestration. This module imports nothing, so a stage can be imported on its own.
"""
