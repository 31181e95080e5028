"""Discrete tokens: the ``<v_h_c>``/``<a_h_c>`` strings, which frames of a clip become
tokens, and grounding decoded tokens in the material database (paper §3.2, §7.2).

``strings`` (format and strictly parse token text, the markers), ``frames`` (the 1 fps frames a
clip is tokenized from, shared by training data and inference), ``grounding`` (cached search
indexes, decode-and-retrieve).
"""
