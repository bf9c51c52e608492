"""The leaf every other part may import: emotion labels, pixels, shapes, errors, backend.

It imports neither Keras nor any other subpackage of ``bilstm_emotion``.
"""
