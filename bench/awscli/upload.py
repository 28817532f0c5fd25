"""B3 peer: `aws s3 cp --recursive` (the AWS CLI v1, botocore's s3transfer) with its default settings, in its own process.

Usage: python3 upload.py ENDPOINT_FILE FOLDER BUCKET PREFIX

Runs the CLI as a child of this wrapper (the same Python, `-m awscli`), so the figures are the child's alone: wall time
around the child, CPU time (user + system) and peak RSS (ru_maxrss, the kernel's high-water mark, as VmHWM) from
os.wait4. The CLI's start-up (interpreter, botocore's models) is measured apart with a listing of the buckets and
reported beside the whole-process figures. Prints one JSON line.
"""
import json
import os
import subprocess
import sys
import time


def run_child(arguments, environment):
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "awscli"] + arguments, env=environment,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"aws {' '.join(arguments[:2])} failed ({child.returncode}): {error[-2000:]}")
    return {"seconds": seconds, "cpuMs": (usage.ru_utime + usage.ru_stime) * 1000.0, "peakRssBytes": usage.ru_maxrss * 1024}


def main():
    endpoint_file, folder, bucket, prefix = sys.argv[1:5]
    with open(endpoint_file, encoding="utf-8-sig") as handle:
        endpoint = json.load(handle)
    environment = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"):
        environment.pop(name, None)
    environment.update({
        "AWS_ACCESS_KEY_ID": endpoint["accessKey"],
        "AWS_SECRET_ACCESS_KEY": endpoint["secretKey"],
        "AWS_DEFAULT_REGION": endpoint["region"],
        # The CLI's defaults: no config or credentials file of this machine changes them.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })
    url = ["--endpoint-url", endpoint["endpointUrl"]]
    files = [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]
    size = sum(os.path.getsize(path) for path in files)

    run_child(["s3", "mb", f"s3://{bucket}"] + url, environment)
    # A listing of the buckets: the same interpreter, botocore and s3 command start-up, no transfer (an empty prefix
    # would exit with 1).
    startup = run_child(["s3", "ls"] + url, environment)
    copy = run_child(["s3", "cp", "--recursive", "--only-show-errors", folder, f"s3://{bucket}/{prefix}"] + url, environment)
    print(json.dumps({
        "files": len(files),
        "bytes": size,
        "seconds": copy["seconds"],
        "cpuMs": copy["cpuMs"],
        "peakRssBytes": copy["peakRssBytes"],
        "startupSeconds": startup["seconds"],
        "startupCpuMs": startup["cpuMs"],
        "startupPeakRssBytes": startup["peakRssBytes"],
    }))


if __name__ == "__main__":
    main()
