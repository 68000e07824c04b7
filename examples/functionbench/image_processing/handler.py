# FunctionBench image_processing: with Pillow, flip the input image left-right and top-bottom, rotate it 90, 180 and
# 270 degrees, filter it (blur, contour, sharpen), convert it to grayscale and make a 128x128 thumbnail, saving each
# result as FunctionBench did; the operations and the saves are timed, the download and the uploads are not. The
# results go to the store under outputs/image_processing/<the input key without inputs/>/<operation>.<ext>.
import os
import tempfile
import time

from PIL import Image, ImageFilter

import kiln_store


def operations(image):
    """(name, image) for every FunctionBench operation, made lazily so each is timed with its save."""
    yield "flip-left-right", image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    yield "flip-top-bottom", image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    for degrees in (90, 180, 270):
        yield "rotate-%d" % degrees, image.transpose(getattr(Image.Transpose, "ROTATE_%d" % degrees))
    yield "filter-blur", image.filter(ImageFilter.BLUR)
    yield "filter-contour", image.filter(ImageFilter.CONTOUR)
    yield "filter-sharpen", image.filter(ImageFilter.SHARPEN)
    yield "gray-scale", image.convert("L")
    thumbnail = image.copy()
    thumbnail.thumbnail((128, 128))
    yield "thumbnail", thumbnail


def lambda_handler(event, context):
    key = event["key"]
    work = tempfile.mkdtemp(prefix="fb-image-")
    path = kiln_store.download(key, work)
    extension = os.path.splitext(key)[1] or ".jpg"
    start = time.perf_counter()
    image = Image.open(path)
    image.load()
    saved = []
    for name, result in operations(image):
        target = os.path.join(work, name + extension)
        result.save(target)
        saved.append((name, target, result.size, result.mode))
    latency = time.perf_counter() - start
    prefix = "outputs/image_processing/" + key.removeprefix("inputs/")
    outputs = []
    for name, target, (width, height), mode in saved:
        kiln_store.upload(prefix + "/" + name + extension, target)
        outputs.append({"name": name, "key": prefix + "/" + name + extension, "width": width, "height": height,
                        "mode": mode, "bytes": os.path.getsize(target)})
        os.remove(target)
    os.remove(path)
    os.rmdir(work)
    return {"latency_s": latency, "width": image.size[0], "height": image.size[1], "outputs": outputs}
