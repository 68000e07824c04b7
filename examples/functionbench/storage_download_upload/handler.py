# FunctionBench storage_download_upload (s3_download_upload): download one object of the function input store to a
# local file, then upload that file under outputs/storage_download_upload/<the key without inputs/>; both timed.
# Afterwards (untimed) the upload is read back and compared with the download.
import hashlib
import os
import tempfile
import time

import kiln_store


def lambda_handler(event, context):
    key = event["key"]
    output_key = "outputs/storage_download_upload/" + key.removeprefix("inputs/")
    work = tempfile.mkdtemp(prefix="fb-storage-")
    start = time.perf_counter()
    path = kiln_store.download(key, work)
    downloaded = time.perf_counter()
    kiln_store.upload(output_key, path)
    uploaded = time.perf_counter()
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    os.remove(path)
    os.rmdir(work)
    stored = kiln_store.get(output_key)
    return {"latency_s": uploaded - start, "download_s": downloaded - start, "upload_s": uploaded - downloaded,
            "bytes_downloaded": size, "bytes_uploaded": len(stored), "output_key": output_key,
            "upload_matches": hashlib.sha256(stored).hexdigest() == digest}
