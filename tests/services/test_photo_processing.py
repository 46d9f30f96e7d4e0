"""Photo checks by content, independent of Pillow's process-wide switches."""
import io

import pytest
from PIL import Image, ImageFile

from tests.support.visit_data import image_bytes, jpeg
from webapp.services import photos
from webapp.services.errors import DomainError
from webapp.web import rules as app_rules


@pytest.fixture(params=[False, True], ids=["strict-pillow", "lenient-pillow"])
def truncated_setting(request):
    """WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True when imported: the checks must hold either way."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = request.param
    yield request.param
    ImageFile.LOAD_TRUNCATED_IMAGES = saved


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_cut_off_file_is_refused_whatever_pillow_is_told(ctx, truncated_setting, fmt):
    data = image_bytes(fmt, (900, 700), seed=3)
    for cut in (len(data) // 3, len(data) * 2 // 3, len(data) - 40):
        with pytest.raises(DomainError) as err:
            photos.process(data[:cut], app_rules.photos())
        assert err.value.status in (415, 422)


def test_complete_files_pass_with_either_setting(ctx, truncated_setting):
    for fmt in ("JPEG", "PNG", "WEBP"):
        done = photos.process(image_bytes(fmt, (900, 700), seed=4), app_rules.photos())
        assert (done.width, done.height) == (900, 700)
        assert Image.open(io.BytesIO(done.thumb)).size == (320, 249)


def test_output_is_deterministic_so_the_hash_finds_reuse(ctx):
    data = jpeg(seed=11)
    assert photos.process(data, app_rules.photos()).sha256 == photos.process(data, app_rules.photos()).sha256
    assert photos.process(data, app_rules.photos()).sha256 != photos.process(jpeg(seed=12), app_rules.photos()).sha256


def test_palette_cmyk_and_grey_images_become_rgb_jpegs(ctx):
    for mode in ("P", "CMYK", "L", "I;16"):
        img = Image.new(mode, (40, 30))
        buf = io.BytesIO()
        img.save(buf, "PNG" if mode in ("P", "L", "I;16") else "JPEG")
        done = photos.process(buf.getvalue(), app_rules.photos())
        assert Image.open(io.BytesIO(done.image)).mode == "RGB"


def test_a_jpeg_comment_does_not_survive(ctx):
    data = jpeg(seed=5, comment=b"secret-serial-123")
    done = photos.process(data, app_rules.photos())
    assert b"secret-serial-123" not in done.image and b"secret-serial-123" not in done.thumb
