"""The applications' library side: photos, folders and video through detector and model.

``_pipeline`` is the detect-and-classify pipeline every app shares (photos,
video frames, the demo) and the records it makes; ``_tracking`` follows faces
through video; ``_video_io`` reads and writes video files. Their public faces
are :mod:`bilstm_emotion.monitoring` and :mod:`bilstm_emotion.video`; the
command line (:mod:`bilstm_emotion.cli`) is built on them. Keras is imported
only when a model is loaded.
"""
