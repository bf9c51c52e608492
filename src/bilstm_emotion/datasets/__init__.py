"""Face data sets: FER2013 in its real formats, any folder of labelled images, generated faces.

Implementation: ``_loaders`` (the public loaders and their cache), ``_fer2013``
(the CSV and Kaggle layouts), ``_image_files`` (:class:`ImageFiles`, images
read from disk batch by batch), ``_streaming`` (chunked reads of lazy inputs),
``_io`` (decoding files under the documented ceilings), ``_synthetic``. No
module here imports Keras.
"""

from ._image_files import ImageFiles
from ._loaders import get_data_home, load_fer2013, load_image_folder
from ._synthetic import make_synthetic_faces

__all__ = [
    "ImageFiles",
    "get_data_home",
    "load_fer2013",
    "load_image_folder",
    "make_synthetic_faces",
]
