# FunctionBench video_processing: with OpenCV, for every frame of the input video convert BGR to grayscale, write it
# as a JPEG and read it back, and write all frames to an XVID AVI at 20 fps; the frame loop is timed, the download
# and the upload are not. The AVI goes to the store under outputs/video_processing/<the input key without inputs/>.avi.
import os
import tempfile
import time

import cv2

import kiln_store


def frames_of(path):
    """The number of frames a video file really holds (read, not taken from its header), its fps and size."""
    video = cv2.VideoCapture(path)
    count = 0
    while video.read()[0]:
        count += 1
    fps, width, height = video.get(cv2.CAP_PROP_FPS), video.get(cv2.CAP_PROP_FRAME_WIDTH), \
        video.get(cv2.CAP_PROP_FRAME_HEIGHT)
    video.release()
    return count, fps, int(width), int(height)


def lambda_handler(event, context):
    key = event["key"]
    work = tempfile.mkdtemp(prefix="fb-video-")
    path = kiln_store.download(key, work)
    result_path = os.path.join(work, "output.avi")
    scratch = os.path.join(work, "frame.jpg")
    video = cv2.VideoCapture(path)
    if not video.isOpened():
        raise RuntimeError("OpenCV cannot open the video " + key)
    width = int(video.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(video.get(cv2.CAP_PROP_FRAME_HEIGHT))
    out = cv2.VideoWriter(result_path, cv2.VideoWriter_fourcc(*"XVID"), 20.0, (width, height))
    if not out.isOpened():
        raise RuntimeError("OpenCV cannot write an XVID AVI")
    frames = 0
    start = time.perf_counter()
    while video.isOpened():
        ok, frame = video.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        cv2.imwrite(scratch, gray)
        out.write(cv2.imread(scratch))
        frames += 1
    latency = time.perf_counter() - start
    video.release()
    out.release()
    written, fps, out_width, out_height = frames_of(result_path)
    output_key = "outputs/video_processing/" + key.removeprefix("inputs/") + ".avi"
    output_bytes = os.path.getsize(result_path)
    kiln_store.upload(output_key, result_path)
    for name in (path, result_path, scratch):
        if os.path.exists(name):
            os.remove(name)
    os.rmdir(work)
    return {"latency_s": latency, "frames": frames, "width": width, "height": height, "output_key": output_key,
            "output_bytes": output_bytes, "output_frames": written, "output_fps": fps,
            "output_width": out_width, "output_height": out_height}
