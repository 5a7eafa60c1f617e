# chromadb picks its implementations by dotted name at run time (chromadb.config.Settings:
# chroma_api_impl, chroma_*_impl, telemetry) through importlib.import_module, so static analysis
# misses them. Collect the whole package except tests, the HTTP server and the CLI.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

_SKIP = ("chromadb.test", "chromadb.server", "chromadb.cli", "chromadb.proto")

hiddenimports = collect_submodules("chromadb", filter=lambda name: not name.startswith(_SKIP))
hiddenimports += ["chromadb_rust_bindings"]
datas = collect_data_files("chromadb", excludes=["test/**", "server/**"])
datas += copy_metadata("chromadb")  # chromadb reads its own version via importlib.metadata
