"""Badge painting, checked on the rendered pixels, and the resource lookup."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from bato_desktop import resources
from bato_desktop.ui.icons import (
    TRAY_SIZES,
    app_icon,
    badge_text,
    render_badge_icon,
    render_icon,
    tray_icon,
)


def _is_red(color: QColor) -> bool:
    return color.alpha() > 200 and color.red() > 180 and color.green() < 90 and color.blue() < 90


def _red_pixels(image: QImage, x0: int, y0: int, x1: int, y1: int) -> int:
    return sum(_is_red(image.pixelColor(x, y)) for x in range(x0, x1) for y in range(y0, y1))


def _image(count: int, size: int) -> QImage:
    return render_badge_icon(count, size).toImage().convertToFormat(QImage.Format.Format_ARGB32)


@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize("size", TRAY_SIZES)
def test_badge_is_red_in_the_top_right_corner(size: int) -> None:
    half = size // 2
    plain = _image(0, size)
    assert plain.width() == size and plain.height() == size
    assert _red_pixels(plain, 0, 0, size, size) == 0  # the icon itself has no red
    badged = _image(5, size)
    corner = _red_pixels(badged, half, 0, size, half)
    assert corner > (half * half) // 4
    assert _red_pixels(badged, 0, half + size // 8, size // 3, size) == 0  # bottom left untouched


@pytest.mark.usefixtures("qapp")
def test_badge_text_differs_and_caps_at_99() -> None:
    assert [badge_text(n) for n in (0, -1, 1, 42, 99, 100, 5000)] == [
        "",
        "",
        "1",
        "42",
        "99",
        "99+",
        "99+",
    ]
    five, many, more = _image(5, 64), _image(150, 64), _image(100, 64)
    assert five != many
    assert many == more  # every count above 99 draws the same "99+"
    # The wider "99+" pill reaches further left than the round one-digit badge.
    assert _red_pixels(many, 0, 0, 32, 32) > _red_pixels(five, 0, 0, 32, 32)
    white_in_badge = sum(
        many.pixelColor(x, y).lightness() > 230 for x in range(8, 64) for y in range(4, 30)
    )
    assert white_in_badge > 20  # the count is written in white


def test_icons_render_from_the_svg(qtbot: QtBot) -> None:
    icon = render_icon(48).toImage()
    center = icon.pixelColor(24, 24)
    assert center.alpha() == 255
    assert not app_icon().isNull()
    tray = tray_icon(3)
    assert sorted(s.width() for s in tray.availableSizes()) == sorted(TRAY_SIZES)


def test_resource_path_prefers_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = resources.resource_path("bato-desktop.svg")
    assert source.is_file() and source.parent.name == "resources"
    bundled = tmp_path / "resources" / "bato-desktop.svg"
    bundled.parent.mkdir()
    bundled.write_text("<svg/>", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("bato-desktop.svg") == bundled
    assert resources.resource_path("README") == source.parent / "README"  # falls back
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        resources.resource_path("no-such-file")


@pytest.mark.parametrize("name", ["bato-desktop.ico", "bato-desktop.icns"])
def test_platform_icons_carry_every_size(qapp: object, name: str) -> None:
    """build.spec gives these to Windows and macOS; each holds sharp small AND large sizes."""
    from PySide6.QtGui import QImageReader

    from bato_desktop.resources import resource_path

    reader = QImageReader(str(resource_path(name)))
    sizes = set()
    for index in range(reader.imageCount()):
        reader.jumpToImage(index)
        image = reader.read()
        assert not image.isNull(), f"{name} image {index}: {reader.errorString()}"
        sizes.add(image.width())
    assert {16, 32, 256} <= sizes, sizes
