"""Executes every notebook in this folder headless (nbclient, Python kernel); any failing cell
fails the run. Used by notebooks/run.sh and .ci/run."""
import pathlib
import sys

import nbclient
import nbformat

here = pathlib.Path(__file__).resolve().parent
failed = []
for path in sorted(here.glob("*.ipynb")):
    notebook = nbformat.read(path, as_version=4)
    try:
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
        print(f"ok   {path.name}")
    except Exception as error:  # report every notebook, then fail
        failed.append(path.name)
        print(f"FAIL {path.name}: {error}", file=sys.stderr)
sys.exit(1 if failed else 0)
