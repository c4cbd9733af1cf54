"""Phone photos of a page, between load and orient: the page found in the frame, its
perspective undone, its light evened out. Scans pass through untouched.

A photo is told from a scan by what lies around the page: a photo shows the table or cloth
the page lies on, all round it (the page fills ~45-90% of the frame); a flatbed scan is the
page itself to its edges. Only a four-cornered outline with a strong edge, inside the frame
on every side, between paper and something unlike it, counts as a page in a photo; anything
less is left as it is, so a scan comes out exactly as before.

Small print is not enlarged here: the archive keeps the photo's own resolution, and
`pipeline.scan.prepare` reads a photo's small letters enlarged (`LoadedPage.photo`).
"""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.scan.load import A4_LONG_SIDE_IN, LoadedPage

# Measured: on the 64 pages of three generated batches (clean, and all degraded: skewed,
# stained, tinted, noisy) no outline even had four corners; on the synthetic photos of
# tests/test_photo.py the page's outline lay on a strong edge all along (support 1.0), the
# paper 137-176 grey levels lighter than the table, its corners found within 7 px of 2000.
WORK_SIDE = 640  # px, long side of the copy the page is looked for in
MIN_AREA, MAX_AREA = 0.2, 0.95  # share of the frame a photographed page covers
MIN_MARGIN = 0.005  # every corner this far (share of the side) inside the frame
MIN_CONTRAST = 40.0  # RGB distance between the paper and what is around it
MIN_EDGE_SUPPORT = 0.75  # share of the outline lying on a strong edge
MIN_ANGLE, MAX_ANGLE = 45.0, 135.0  # corner angles of a page seen at a slant
# A photo often cuts off a corner of the page: the corner then lies past the frame, where
# the two sides meeting there lead. At most one, this far (share of the frame's side).
MAX_CUT = 0.15
MAX_FRAME_CONTACT = 0.15  # share of the frame's border a page with a corner cut off covers
PHOTO_MIN_DPI = 70  # Tesseract refuses lower resolutions


def as_scan(loaded: LoadedPage) -> LoadedPage:
    """The page as a scan would show it: a photo's page rectified and evenly lit, with the
    resolution its paper's size gives it (the photo's own density says nothing about the
    paper); anything else unchanged."""
    corners = find_page(loaded.pixels)
    if corners is None:
        return loaded
    page = even_light(rectify(loaded.pixels, corners))
    dpi = max(PHOTO_MIN_DPI, round(max(page.shape[:2]) / paper_long_side_in(page.shape[:2])))
    return replace(loaded, pixels=page, dpi=float(dpi), photo=True)


CARD_LONG_SIDE_IN = 85.6 / 25.4  # ID-1 (ISO/IEC 7810): căn cước, CCCD, bank cards
CARD_ASPECT = 85.6 / 53.98
ASPECT_TOLERANCE = 0.06  # a page seen at a slant comes out a few % off its true shape


def paper_long_side_in(shape: tuple[int, ...]) -> float:
    """The long side of the paper a rectified page is, by its shape: an ID card when it is
    shaped like one (people photograph their căn cước), else A4."""
    aspect = max(shape[:2]) / max(1, min(shape[:2]))
    return CARD_LONG_SIDE_IN if abs(aspect / CARD_ASPECT - 1) <= ASPECT_TOLERANCE else A4_LONG_SIDE_IN


# --- finding the page -------------------------------------------------------------------

def find_page(pixels: np.ndarray) -> np.ndarray | None:
    """The corners (top left, top right, bottom right, bottom left; float32, pixels) of a
    page photographed on a background, or None when the image is not clearly that."""
    height, width = pixels.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = pixels
    if scale < 0.5:
        # every few pixels first, then averaged 2×2: area-averaging a 300-dpi page straight
        # down costs ~10x more (~20 ms a page), and the outline is no finer than that
        coarse = (round(width * 2 * scale), round(height * 2 * scale))
        small = cv2.resize(pixels, coarse, interpolation=cv2.INTER_NEAREST)
    if scale < 1.0:
        small = cv2.resize(small, (round(width * scale), round(height * scale)),
                           interpolation=cv2.INTER_AREA)
        scale = small.shape[1] / width
    colour = small if small.ndim == 3 else cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
    # Print is thin dark strokes: closing wipes it into the paper, so the page becomes one
    # field and its outline the strongest edge left. 9 px is a few letters at this size.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    grey = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY)
    field = cv2.GaussianBlur(cv2.morphologyEx(grey, cv2.MORPH_CLOSE, kernel), (5, 5), 0)
    best, best_score = None, 0.0
    for outline in _outlines(field):
        quad = _quad(outline, field.shape)
        if quad is None:
            continue
        score = _photo_score(quad, colour, field)
        if score > best_score:
            best, best_score = quad, score
    if best is None:
        return None
    return (best / scale).astype(np.float32)


def _outlines(field: np.ndarray) -> list[np.ndarray]:
    """Candidate page outlines: the regions either side of Otsu's threshold that touch the
    frame little if at all (bright paper on a dark table, or the reverse), and the largest
    closed edge."""
    h, w = field.shape
    outlines = []
    _, bright = cv2.threshold(field, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    for mask in (bright, cv2.bitwise_not(bright)):
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, 8)
        for i in np.argsort(-stats[1:, cv2.CC_STAT_AREA])[:2] + 1:
            if stats[i, cv2.CC_STAT_AREA] < MIN_AREA * h * w:
                continue
            region = (labels == i).astype(np.uint8)
            if _frame_contact(region) > MAX_FRAME_CONTACT:
                continue
            contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            outlines.append(max(contours, key=cv2.contourArea))
    high, _ = cv2.threshold(field, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    edges = cv2.dilate(cv2.Canny(field, 0.5 * high, high), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    big = [c for c in contours if cv2.contourArea(cv2.convexHull(c)) >= MIN_AREA * h * w]
    outlines += sorted(big, key=lambda c: -cv2.contourArea(cv2.convexHull(c)))[:2]
    return outlines


def _frame_contact(region: np.ndarray) -> float:
    """Share of the frame's border that `region` covers (0: background all round it)."""
    border = np.concatenate([region[0], region[-1], region[1:-1, 0], region[1:-1, -1]])
    return float(border.mean())


FRAME_EDGE_PX = 2  # a point this close to the frame's edge lies on it (work-size pixels)


def _inside_frame(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which (x, y) points lie inside the frame, off its edge."""
    h, w = shape
    m = FRAME_EDGE_PX
    return (points[:, 0] >= m) & (points[:, 1] >= m) & (points[:, 0] <= w - 1 - m) & (points[:, 1] <= h - 1 - m)


def _quad(outline: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """Four corners fitted to an outline: its hull simplified to four points (or to five,
    one side along the frame's edge: a corner cut off, put back where the sides meeting
    there lead), then each side refitted as a line through the outline's points near it
    (a dog-eared or rounded corner does not pull the corner in), corners where the lines
    meet."""
    hull = cv2.convexHull(outline)
    perimeter = cv2.arcLength(hull, True)
    quad = None
    for eps in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True).reshape(-1, 2).astype(np.float64)
        if len(approx) == 5:
            quad = _cut_corner(approx, shape)
        elif len(approx) == 4:
            quad = approx
        if quad is not None or len(approx) < 4:
            break
    if quad is None:
        return None
    quad = _ordered(quad)
    points = outline.reshape(-1, 2).astype(np.float64)
    points = points[_inside_frame(points, shape)]  # the frame's edge along a cut corner is no side
    lines = []
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        side = b - a
        length = float(np.hypot(*side))
        normal = np.array([-side[1], side[0]]) / max(length, 1e-9)
        t = (points - a) @ side / max(length ** 2, 1e-9)
        near = points[(np.abs((points - a) @ normal) <= max(2.0, 0.01 * length)) & (t > 0.1) & (t < 0.9)]
        if len(near) < 10:
            lines.append((a, side / max(length, 1e-9)))
            continue
        vx, vy, x0, y0 = cv2.fitLine(near.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)))
    corners = []
    for k in range(4):  # corner k joins side k-1 and side k
        (p, d), (q, e) = lines[k - 1], lines[k]
        det = d[0] * -e[1] + d[1] * e[0]
        if abs(det) < 1e-6:
            return None
        s = ((q - p)[0] * -e[1] + (q - p)[1] * e[0]) / det
        corners.append(p + s * d)
    return _ordered(np.array(corners))


def _cut_corner(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray | None:
    """The four corners of a five-sided outline one of whose sides runs along the frame's
    edge (both its ends on it): that side's neighbours, extended, meet at the cut corner."""
    on_frame = ~_inside_frame(polygon, shape)
    cut = [k for k in range(5) if on_frame[k] and on_frame[(k + 1) % 5]]
    if len(cut) != 1:
        return None
    k = cut[0]
    before, a, b, after = (polygon[(k + i) % 5] for i in (-1, 0, 1, 2))
    d, e = a - before, after - b
    det = d[0] * -e[1] + d[1] * e[0]
    if abs(det) < 1e-6:
        return None
    s = ((b - before)[0] * -e[1] + (b - before)[1] * e[0]) / det
    corner = before + s * d
    rest = [polygon[(k + i) % 5] for i in (2, 3, 4)]  # after, and the two beyond it
    return np.array([corner, *rest])


def _ordered(points: np.ndarray) -> np.ndarray:
    """Four points as top left, top right, bottom right, bottom left (clockwise on screen,
    starting nearest the frame's top left)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    points = points[np.argsort(angles)]  # clockwise from the left (image y points down)
    start = int(np.argmin(points.sum(axis=1)))
    return np.roll(points, -start, axis=0)


def _photo_score(quad: np.ndarray, colour: np.ndarray, field: np.ndarray) -> float:
    """How surely `quad` is a page lying on a background (0: not at all): the share of its
    outline on a strong edge, if the photo passes every test of a page on a table."""
    h, w = field.shape
    area = cv2.contourArea(quad.astype(np.float32)) / (h * w)
    if not MIN_AREA <= area <= MAX_AREA or not cv2.isContourConvex(quad.astype(np.float32)):
        return 0.0
    margin = MIN_MARGIN * np.array([w, h])
    within = ((quad >= margin) & (quad <= np.array([w, h]) - 1 - margin)).all(axis=1)
    reach = MAX_CUT * np.array([w, h])
    if within.sum() < 3 or (quad < -reach).any() or (quad > np.array([w, h]) + reach).any():
        return 0.0  # more than one corner on or past the frame: no background all round
    for k in range(4):
        u, v = quad[k - 1] - quad[k], quad[(k + 1) % 4] - quad[k]
        cos = float(u @ v / (np.hypot(*u) * np.hypot(*v)))
        if not MIN_ANGLE <= np.degrees(np.arccos(np.clip(cos, -1, 1))) <= MAX_ANGLE:
            return 0.0
    inside, outside = _rings(quad, (h, w))
    paper = np.median(colour[inside > 0].astype(np.float32), axis=0)
    around = np.median(colour[outside > 0].astype(np.float32), axis=0)
    if float(np.linalg.norm(paper - around)) < MIN_CONTRAST:
        return 0.0  # a frame or a box printed on the page, paper on both sides of it
    step = float(np.median(field[inside > 0])) - float(np.median(field[outside > 0]))
    if step <= 0:
        return 0.0  # darker than around it: a picture printed on a page, not paper on a table
    rim = max(2, round(0.02 * min(h, w)))  # the frame's own edge shows the table, not paper
    edge = np.concatenate([colour[:rim].reshape(-1, 3), colour[-rim:].reshape(-1, 3),
                           colour[:, :rim].reshape(-1, 3), colour[:, -rim:].reshape(-1, 3)])
    if float(np.linalg.norm(np.median(edge.astype(np.float32), axis=0) - paper)) < MIN_CONTRAST:
        return 0.0  # paper out to the frame: a scan of a page with a band printed round it
    support = _edge_support(quad, field, max(MIN_CONTRAST / 2, step))
    return support if support >= MIN_EDGE_SUPPORT else 0.0


def _rings(quad: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Masks of a band just inside the outline and of one just outside it."""
    size = max(3, round(0.03 * min(shape)))
    region = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(region, np.round(quad).astype(np.int32), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * size + 1, 2 * size + 1))
    gap = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))  # the blurred edge itself: neither
    inner = cv2.erode(region, gap) - cv2.erode(region, kernel)
    outer = cv2.dilate(region, kernel) - cv2.dilate(region, gap)
    return inner, outer


def _edge_support(quad: np.ndarray, field: np.ndarray, step: float) -> float:
    """Share of points along the outline where the field changes across it by at least
    half of `step` (the paper's lightness against its surroundings')."""
    gx = cv2.Sobel(field, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(field, cv2.CV_32F, 0, 1, ksize=3)
    # the edge may lie a pixel or two off the fitted line: the best of a 5×5 window. A
    # step blurred over ~3 px gives a 3×3 Sobel peak of about its height.
    magnitude = cv2.dilate(cv2.magnitude(gx, gy), np.ones((5, 5), np.uint8))
    h, w = field.shape
    hits = total = 0
    for k in range(4):
        a, b = quad[k], quad[(k + 1) % 4]
        n = max(8, int(np.hypot(*(b - a)) // 2))
        pts = a + np.linspace(0.05, 0.95, n)[:, None] * (b - a)
        # a side running past the frame (a corner cut off) is judged on what the photo shows
        pts = pts[_inside_frame(pts, (h, w))]
        xs, ys = np.round(pts[:, 0]).astype(int), np.round(pts[:, 1]).astype(int)
        hits += int((magnitude[ys, xs] >= 0.5 * step).sum())
        total += len(pts)
    return hits / max(1, total)


# --- correcting it -----------------------------------------------------------------------

EDGE_TRIM = 0.005  # share of the page cut off each edge: the corners are found to ~0.3% of
# the frame (synthetic photos), and a sliver of table must not frame the archived page


def rectify(pixels: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The page seen square on: the quadrilateral mapped onto a rectangle of the paper's
    true shape (`paper_aspect`), at the resolution of the photo's nearer, longer sides (no
    detail is lost), less a sliver at each edge (EDGE_TRIM)."""
    tl, tr, br, bl = corners.astype(np.float64)
    across = max(np.hypot(*(tr - tl)), np.hypot(*(br - bl)))
    down = max(np.hypot(*(bl - tl)), np.hypot(*(br - tr)))
    aspect = paper_aspect(corners, pixels.shape[:2])
    width, height = (across, across / aspect) if across / aspect >= down else (down * aspect, down)
    width, height = round(width), round(height)
    trim = int(np.ceil(EDGE_TRIM * max(width, height)))
    width, height = width - 2 * trim, height - 2 * trim
    lo_x, lo_y, hi_x, hi_y = -trim, -trim, width - 1 + trim, height - 1 + trim
    target = np.float32([[lo_x, lo_y], [hi_x, lo_y], [hi_x, hi_y], [lo_x, hi_y]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


# A phone's lens: focal length about 0.8-1.0 times the frame's long side (26-28 mm
# equivalent), used when the outline itself does not tell it.
TYPICAL_FOCAL = 0.9


def paper_aspect(corners: np.ndarray, shape: tuple[int, int]) -> float:
    """Width over height of the rectangle photographed as `corners` (TL, TR, BR, BL):
    the camera's focal length from the outline (Zhang and He, "Whiteboard scanning and
    image enhancement", 2007; principal point at the frame's centre), then the sides'
    true ratio. Side lengths alone are off by the slant: 1.43-1.65 for a 1.59 card seen at
    20-30°."""
    h, w = shape
    centre = np.array([w / 2, h / 2])
    tl, tr, br, bl = (np.append(p - centre, 1.0) for p in corners.astype(np.float64))
    m1, m2, m3, m4 = tl, tr, bl, br
    k2 = np.cross(m1, m4) @ m3 / (np.cross(m2, m4) @ m3)
    k3 = np.cross(m1, m4) @ m2 / (np.cross(m3, m4) @ m2)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    long_side = max(h, w)
    focal2 = (TYPICAL_FOCAL * long_side) ** 2
    if abs(n2[2] * n3[2]) > 1e-9:  # not seen square on: the outline gives the focal length
        measured = -(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2])
        if (0.3 * long_side) ** 2 <= measured <= (5 * long_side) ** 2:
            focal2 = measured
    ratio2 = (n2[0] ** 2 + n2[1] ** 2 + focal2 * n2[2] ** 2) / (n3[0] ** 2 + n3[1] ** 2 + focal2 * n3[2] ** 2)
    return float(np.sqrt(ratio2))


LIGHT_SIDE = 256  # px, long side of the copy the light is measured on
LIGHT_DEGREE = 3  # of the polynomial surface the light is fitted with
PAPER_SHARE = 0.3  # below this share of the page looking like paper, the light is left alone


def even_light(page: np.ndarray) -> np.ndarray:
    """The page as if lit evenly: each channel divided by a smooth surface fitted to the
    paper's brightness and brought to the paper's brightest lit level. A lamp's fall-off,
    a colour cast and broad shadows go; the paper's tint, seals, print, and pictures (an
    ID card's portrait, a dark header) stay, because the surface is a low-degree
    polynomial fitted to the paper only: places darker than the fit by more than 10% are
    dropped from it, in a few rounds. (A local maximum filter would follow every large
    dark area and wash it out.) Sharp-edged shadows are left to the OCR copy's own
    flattening (pipeline.scan.prepare)."""
    h, w = page.shape[:2]
    scale = LIGHT_SIDE / max(h, w)
    small = cv2.resize(page, (max(8, round(w * scale)), max(8, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    # the paper between the lines of print: a 3 px maximum (~1% of the page) at this size
    paper = cv2.dilate(small, np.ones((3, 3), np.uint8)).astype(np.float64)
    if paper.ndim == 2:
        paper = paper[..., None]
    sh, sw = paper.shape[:2]
    yy, xx = np.mgrid[0:sh:4, 0:sw:4]
    values = paper[yy, xx].reshape(-1, paper.shape[2])
    terms = _poly_terms(xx.ravel() / sw, yy.ravel() / sh)
    lightness = values.mean(axis=1)
    keep = np.ones(len(values), bool)
    for _ in range(4):
        coef, *_ = np.linalg.lstsq(terms[keep], lightness[keep], rcond=None)
        keep = lightness >= 0.9 * (terms @ coef)
    if keep.mean() < PAPER_SHARE:
        return page
    gy, gx = np.mgrid[0:sh, 0:sw]
    grid_terms = _poly_terms(gx.ravel() / sw, gy.ravel() / sh)
    channels = []
    for c in range(paper.shape[2]):
        coef, *_ = np.linalg.lstsq(terms[keep], values[keep, c], rcond=None)
        light = np.clip(grid_terms @ coef, 1.0, 255.0).reshape(sh, sw)
        level = float(np.percentile(light, 95))
        light = cv2.resize(light.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        plane = page if page.ndim == 2 else page[..., c]
        # in 8 bits: a float copy of a 12-MP photo would be 144 MB
        channels.append(cv2.divide(plane, np.clip(light, 1, 255).astype(np.uint8), scale=level))
    return channels[0] if page.ndim == 2 else cv2.merge(channels)


def _poly_terms(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The monomials x^i y^j, i + j <= LIGHT_DEGREE, as columns."""
    return np.stack([x ** i * y ** j for i in range(LIGHT_DEGREE + 1)
                     for j in range(LIGHT_DEGREE + 1 - i)], axis=1)
