# The function input store as FunctionBench handlers reach it: objects under keys in one bucket (S3's path style).
#   in a slot VM: KILN_STORE_URL, set by kiln (http://<the host's bridge address>:<port>/store);
#                 GET and PUT <KILN_STORE_URL>/<bucket>/<key>
#   natively (the tests, the host baseline): KILN_STORE_DIR, a directory that holds <bucket>/<key>
# The bucket is KILN_STORE_BUCKET, "functionbench" by default. kiln bench functionbench packs this file beside
# every workload's handler.
import os
import shutil
import tempfile
import urllib.parse
import urllib.request

BUCKET = os.environ.get("KILN_STORE_BUCKET", "functionbench")


def _url(key):
    return os.environ["KILN_STORE_URL"].rstrip("/") + "/" + BUCKET + "/" + urllib.parse.quote(key)


def _path(key):
    return os.path.join(os.environ["KILN_STORE_DIR"], BUCKET, key)


def get(key):
    """The object's bytes; raises KeyError when there is none."""
    if "KILN_STORE_URL" in os.environ:
        try:
            with urllib.request.urlopen(_url(key), timeout=300) as answer:
                return answer.read()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise KeyError(key) from e
            raise
    try:
        with open(_path(key), "rb") as f:
            return f.read()
    except FileNotFoundError as e:
        raise KeyError(key) from e


def put(key, data):
    """Stores the bytes under the key, replacing what was there."""
    if "KILN_STORE_URL" in os.environ:
        request = urllib.request.Request(_url(key), data=data, method="PUT",
                                         headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(request, timeout=300) as answer:
            answer.read()
        return
    path = _path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def download(key, directory=None):
    """The object copied into a local file (for libraries that read files, such as OpenCV); returns its path."""
    directory = directory or tempfile.mkdtemp(prefix="kiln-store-")
    target = os.path.join(directory, os.path.basename(key))
    if "KILN_STORE_URL" not in os.environ:
        shutil.copyfile(_path(key), target)
        return target
    with open(target, "wb") as f:
        f.write(get(key))
    return target


def upload(key, path):
    """A local file stored under the key."""
    with open(path, "rb") as f:
        put(key, f.read())
