"""Chainer 7's define-by-run API on mxlite's core: ``import mxlite.chainer as chainer``.

A Chainer script changes only its imports. Networks are plain Python
(``Chain``/``Link``) calling ``F.*`` functions, which reach the same registry
operators as ``mx.nd``/``mx.sym``; ``optimizer.update(model, x, t)`` traces the
loss function once per structure and replays it as one compiled step
(``mxlite.training.traced``), falling back to the eager tape where tracing is
impossible.
"""
