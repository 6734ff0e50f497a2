"""What every benchmark shares: the machine's description and the JSON writer."""

import datetime
import os
import pathlib
import platform

RESULTS = pathlib.Path(__file__).parent / "results"


def machine():
    """CPU model, core count, TF/Keras/TFP versions: named in every result."""
    import keras
    import tensorflow as tf
    import tensorflow_probability as tfp

    cpu = platform.processor() or "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpus": gpus,
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "tensorflow_probability": tfp.__version__,
    }


def stamped(name, result):
    """`result` (a dict) after the benchmark's name, the date and the
    machine: what every result file holds, so it says where it came from."""
    return {
        "benchmark": name,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "machine": machine(),
        **result,
    }


def write_result(name, result):
    """Write `result` (a dict) with the machine and date to results/NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = stamped(name, result)
    path = RESULTS / f"{name}.json"
    from zoo.training import atomic

    atomic.write_json(path, record)
    return path


def markdown_table(rows):
    """Rows of dicts as a Markdown table, one column per key (blank where
    a row lacks it); floats to 4 significant digits."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        cells = [f"{row[key]:.4g}" if isinstance(row.get(key), float)
                 else str(row.get(key, "")) for key in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
