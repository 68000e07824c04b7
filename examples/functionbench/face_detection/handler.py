# FunctionBench face_detection (ml_video_face_detection): OpenCV's Haar cascade on every frame of the input video
# (detectMultiScale, scale factor 1.3, 5 neighbours), a box drawn around each face, all frames written to an XVID AVI
# at 20 fps; the frame loop is timed, the downloads and the upload are not. The AVI goes to the store under
# outputs/face_detection/<the input key without inputs/>.avi. make_inputs.py's videos show drawn faces over ffmpeg's
# testsrc, which the frontal-face cascade finds.
import os
import tempfile
import time

import cv2

import kiln_store


def lambda_handler(event, context):
    key = event["key"]
    work = tempfile.mkdtemp(prefix="fb-faces-")
    path = kiln_store.download(key, work)
    cascade_path = kiln_store.download(event["model_key"], work)
    result_path = os.path.join(work, "detection.avi")
    video = cv2.VideoCapture(path)
    if not video.isOpened():
        raise RuntimeError("OpenCV cannot open the video " + key)
    width = int(video.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))
    out = cv2.VideoWriter(result_path, cv2.VideoWriter_fourcc(*"XVID"), 20.0, (width, height))
    if not out.isOpened():
        raise RuntimeError("OpenCV cannot write an XVID AVI")
    cascade = cv2.CascadeClassifier(cascade_path)
    if cascade.empty():
        raise RuntimeError("not a Haar cascade: " + event["model_key"])
    frames = faces = frames_with_faces = 0
    start = time.perf_counter()
    while video.isOpened():
        ok, frame = video.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        found = cascade.detectMultiScale(gray, 1.3, 5)
        for (x, y, w, h) in found:
            cv2.rectangle(frame, (int(x), int(y)), (int(x + w), int(y + h)), (255, 0, 0), 2)
        out.write(frame)
        frames += 1
        faces += len(found)
        frames_with_faces += 1 if len(found) else 0
    latency = time.perf_counter() - start
    video.release()
    out.release()
    check = cv2.VideoCapture(result_path)
    written = 0
    while check.read()[0]:
        written += 1
    output_fps = check.get(cv2.CAP_PROP_FPS)
    check.release()
    output_key = "outputs/face_detection/" + key.removeprefix("inputs/") + ".avi"
    output_bytes = os.path.getsize(result_path)
    kiln_store.upload(output_key, result_path)
    for name in (path, cascade_path, result_path):
        os.remove(name)
    os.rmdir(work)
    return {"latency_s": latency, "frames": frames, "width": width, "height": height, "faces": faces,
            "frames_with_faces": frames_with_faces, "output_key": output_key, "output_bytes": output_bytes,
            "output_frames": written, "output_fps": output_fps}
