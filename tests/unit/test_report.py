"""The evaluation report: its files, drawn without pyplot."""

import subprocess
import sys
import textwrap
from pathlib import Path

# Run in a fresh interpreter: the test process itself has pyplot loaded (the figure tests check its figure list).
SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path

    import pandas as pd

    from ml.report import write_report_dir

    scored = pd.DataFrame({"message": ["m0", "m1", "m2", "m3"], "label": ["a", "a", "b", "b"],
                           "predicted": ["a", "b", "b", "b"], "probability": [0.9, 0.4, 0.8, 0.7]})
    scored["correct"] = scored["label"] == scored["predicted"]
    paths = write_report_dir(scored, ["a", "b"], Path(sys.argv[1]))
    print(*(path.name for path in paths))
    print("matplotlib.pyplot" in sys.modules)
""")


def test_report_writes_its_files_without_loading_pyplot(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.splitlines() == ["confusion_matrix.png confidence.png errors.csv", "False"]
    for name in ("confusion_matrix.png", "confidence.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    errors = (tmp_path / "errors.csv").read_text().splitlines()
    assert len(errors) == 2 and errors[1].startswith("m1,a,b,0.4")  # the one mistake, with its columns
