"""The material database: footage and music indexed once, cut into clips, captioned.

``database`` (SQLite rows, the single-writer lock), ``vectorstore`` (append-only float32 files
whose committed length lives in SQLite), ``segment`` (cut detection), ``captions`` (what a clip
says without a model) and ``indexing`` (``autocut index``: decode once, cut, embed, commit).
"""
