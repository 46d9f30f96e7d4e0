"""Distances and the GCJ-02 datum."""
import pytest

from webapp.services import geo


def test_haversine_known_distances():
    assert geo.haversine_m(30.0, 109.0, 30.0, 109.0) == 0
    # one degree of latitude is about 111.2 km everywhere
    assert geo.haversine_m(30.0, 109.0, 31.0, 109.0) == pytest.approx(111_195, rel=1e-3)
    # Beijing (Tiananmen) to Shanghai (People's Square): about 1,067 km
    assert geo.haversine_m(39.9087, 116.3975, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)
    # symmetric, and antipodes do not blow up
    assert geo.haversine_m(10, 20, -10, -160) == pytest.approx(20_015_000, rel=1e-3)


def test_gcj02_shift_is_hundreds_of_metres_in_china_and_none_outside():
    lat, lng = 30.301, 109.501  # Enshi, Hubei
    glat, glng = geo.wgs84_to_gcj02(lat, lng)
    assert 150 < geo.haversine_m(lat, lng, glat, glng) < 700
    assert geo.wgs84_to_gcj02(48.85, 2.35) == (48.85, 2.35)  # Paris
    assert geo.gcj02_to_wgs84(48.85, 2.35) == (48.85, 2.35)


@pytest.mark.parametrize("lat,lng", [(30.301, 109.501), (39.9087, 116.3975), (22.54, 114.06), (45.75, 126.63)])
def test_gcj02_round_trip_is_within_a_centimetre(lat, lng):
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lng))
    assert geo.haversine_m(lat, lng, *back) < 0.01


def test_to_wgs84_by_source_system():
    g = geo.wgs84_to_gcj02(30.301, 109.501)
    assert geo.haversine_m(30.301, 109.501, *geo.to_wgs84(*g, "gcj02")) < 0.01
    assert geo.to_wgs84(30.0, 109.0, "wgs84") == (30.0, 109.0)
    b = geo.wgs84_to_bd09(30.301, 109.501)
    assert geo.haversine_m(30.301, 109.501, *b) > 1000
    assert geo.haversine_m(30.301, 109.501, *geo.to_wgs84(*b, "bd09")) < 0.2  # the published inverse is approximate
    assert geo.to_wgs84(48.8566, 2.3522, "bd09") == (48.8566, 2.3522)  # outside China: as wgs84_to_bd09
    with pytest.raises(ValueError):
        geo.to_wgs84(30.0, 109.0, "bd09mc")


# --- BD-09 and the navigation links -------------------------------------------------

def test_reference_values_of_the_published_conversions():
    """The values of the widely used coordtransform library for (39.915, 116.404)."""
    assert geo.wgs84_to_gcj02(39.915, 116.404) == pytest.approx((39.91640428150164, 116.41024449916938), abs=1e-9)
    assert geo.bd09_to_gcj02(39.915, 116.404) == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-9)
    assert geo.gcj02_to_bd09(39.915, 116.404)[1] == pytest.approx(116.41036949371029, abs=1e-9)


@pytest.mark.parametrize("lat,lng", [(30.301, 109.501), (39.9087, 116.3975), (22.54, 114.06)])
def test_bd09_is_a_further_shift_and_round_trips(lat, lng):
    glat, glng = geo.wgs84_to_gcj02(lat, lng)
    blat, blng = geo.wgs84_to_bd09(lat, lng)
    assert 500 < geo.haversine_m(glat, glng, blat, blng) < 1200  # Baidu's own shift, about 0.006°
    assert geo.haversine_m(glat, glng, *geo.bd09_to_gcj02(blat, blng)) < 1.0
    assert geo.wgs84_to_bd09(48.85, 2.35) == (48.85, 2.35)  # outside China: no shift


def test_map_links_carry_each_apps_datum():
    links = {key: url for key, _, url in geo.map_links(30.301, 109.501, "张一户")}
    assert links["geo"].startswith("geo:30.301000,109.501000?q=30.301000,109.501000(")
    glat, glng = geo.wgs84_to_gcj02(30.301, 109.501)
    assert f"position={glng:.6f}%2C{glat:.6f}" in links["amap"] and links["amap"].startswith("https://uri.amap.com/marker?")
    blat, blng = geo.wgs84_to_bd09(30.301, 109.501)
    assert f"location={blat:.6f}%2C{blng:.6f}" in links["baidu"] and "coord_type=bd09ll" in links["baidu"]
