# sentence-transformers reads package versions through importlib.metadata at import time.
from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = copy_metadata("sentence-transformers") + collect_data_files("sentence_transformers")
