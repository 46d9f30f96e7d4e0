"""Isolation between units (townships) and between villages.

A world with two units (factories.world + second_unit) and a helper shared by two villages: h1 is
paired with 张一/张二 of 东村 (v1) since 2024 and, from March 2026, with 李七 of 西村 (v2). The first
secretary of 西村 (sec2) may read h1's month, diary and performance, but only what concerns 西村's
households; the first secretary of 东村 (sec1) only 东村's. The other unit's office admin, first
secretary and helper name unit 1's ids in every form field and query string: 404, nothing stored.
"""
import io
import json
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.support import factories as f
from webapp.extensions import db
from webapp.models import AuditLog, Pairing, Photo, PrintJob, SpotCheckDraw, SpotCheckItem, User, Village
from webapp.services.printing import diary as print_diary
from webapp.services.printing import documents as print_docs

from .conftest import login, row_counts

CST = timezone(timedelta(hours=8))
MARCH, FEB = "2026-03", "2026-02"
V1_NOTE, V2_NOTE, FEB_NOTE = "东村秘密记录", "西村走访记录", "二月东村记录"


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CST)


@pytest.fixture
def shared(app):
    """The two-unit world with h1 shared by 东村 and 西村, and h1's visits of February and March."""
    with app.app_context():
        w = f.second_unit(f.world())
        o = w.objects
        o["hh7"] = f.household(o["v2"], "李七", 30.402, 109.602)
        f.pair(o["h1"], o["hh7"], start=date(2026, 3, 1))
        v1 = f.visit_row(o["h1"].id, o["hh1"].id, at(3, 5), notes=V1_NOTE)
        v2 = f.visit_row(o["h1"].id, o["hh7"].id, at(3, 12), notes=V2_NOTE)
        feb = f.visit_row(o["h1"].id, o["hh1"].id, at(2, 10), notes=FEB_NOTE)
        p1, p2, pf = f.photo_row(v1, seed=1), f.photo_row(v2, seed=2), f.photo_row(feb, seed=3)
        ids = w.ids()
        ids.update(photo_v1=p1.id, photo_v2=p2.id, photo_feb=pf.id, thumb_v1=p1.thumb_key, thumb_v2=p2.thumb_key,
                   thumb_feb=pf.thumb_key, visit_v1=v1.id, visit_v2=v2.id)
        db.session.commit()
        db.session.remove()
    return ids


def readable(resp) -> str:
    """The answer as a person reads it (JSON with its Chinese unescaped)."""
    if resp.is_json:
        return json.dumps(resp.get_json(), ensure_ascii=False)
    return resp.get_data().decode("utf-8", "replace")


def get(make_client, app, who: str, url: str):
    client = make_client()
    login(client, app, who)
    return client.get(url)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def pdf_images(data: bytes) -> int:
    seen = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in (page["/Resources"].get("/XObject") or {}).values():
            if ref.get_object().get("/Subtype") == "/Image":
                seen.add(getattr(ref, "idnum", id(ref)))
    return len(seen)


# ------------------------------------------------------------------ a helper shared by two villages

@pytest.mark.parametrize("who, sees, hidden", [
    ("sec2", [V2_NOTE, "李七"], [V1_NOTE, "张一", "张二"]),
    ("sec1", [V1_NOTE, "张一"], [V2_NOTE, "李七"]),
    ("admin", [V1_NOTE, V2_NOTE, "张一", "李七"], []),
    ("h1", [V1_NOTE, V2_NOTE, "张一", "李七"], []),
])
def test_month_page_shows_each_village_its_own_visits(shared, app, make_client, who, sees, hidden):
    resp = get(make_client, app, who, f"/visits/month?helper_id={shared['h1']}&month={MARCH}")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert [s for s in sees if s not in body] == []
    assert [s for s in hidden if s in body] == [], f"{who} sees another village's visits on h1's month"


def test_month_before_the_pairing_shows_the_other_village_nothing(shared, app, make_client):
    """In February h1 was not yet paired with 西村: its first secretary sees no visit of that month."""
    body = get(make_client, app, "sec2", f"/visits/month?helper_id={shared['h1']}&month={FEB}").get_data(as_text=True)
    assert FEB_NOTE not in body and "张一" not in body
    diary = get(make_client, app, "sec2", f"/reports/diary/{shared['h1']}/{FEB}.pdf")
    assert diary.status_code == 200
    text = pdf_text(diary.get_data())
    assert FEB_NOTE not in text and "张一" not in text
    assert pdf_images(diary.get_data()) == 0


@pytest.mark.parametrize("who, sees, hidden, images", [
    ("sec2", [V2_NOTE, "李七"], [V1_NOTE, "张一", "张二"], 1),
    ("sec1", [V1_NOTE, "张一", "张二"], [V2_NOTE, "李七"], 1),
    ("admin", [V1_NOTE, V2_NOTE], [], 2),
    ("h1", [V1_NOTE, V2_NOTE], [], 2),
])
def test_diary_pdf_holds_only_the_viewers_visits_and_thumbnails(shared, app, make_client, who, sees, hidden, images):
    resp = get(make_client, app, who, f"/reports/diary/{shared['h1']}/{MARCH}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.get_data())
    assert [s for s in sees if s not in text] == []
    assert [s for s in hidden if s in text] == [], f"{who}'s copy of h1's diary shows another village"
    assert pdf_images(resp.get_data()) == images


def test_pdf_thumbnails_pass_the_photo_routes_check(shared, app, make_client):
    """The thumbnails a diary embeds are exactly those the viewer can open at the photo route, and
    the fetcher refuses any other key, even one written into the document."""
    for who in ("sec2", "sec1", "admin"):
        with app.test_request_context():
            viewer = db.session.scalar(select(User).where(User.username == who))
            doc = print_diary.diary_document(db.session.get(User, shared["h1"]), MARCH, viewer)
            keys = set(doc.thumb_keys)
            reader = print_docs.allowed_thumbs(doc)
            refused = {k for k in (shared["thumb_v1"], shared["thumb_v2"], shared["thumb_feb"]) if reader(k) is None}
            db.session.remove()
        openable = set()
        for photo, thumb in (("photo_v1", "thumb_v1"), ("photo_v2", "thumb_v2"), ("photo_feb", "thumb_feb")):
            if get(make_client, app, who, f"/api/v1/photos/{shared[photo]}/thumb").status_code == 200:
                openable.add(shared[thumb])
        assert keys <= openable, f"{who}: the PDF embeds a photo the photo route refuses"
        assert shared["thumb_feb"] in refused  # another month's photo: never fetched for March
        assert {k for k in (shared["thumb_v1"], shared["thumb_v2"]) if k not in refused} == keys
        if who == "sec2":
            assert keys == {shared["thumb_v2"]}


def test_batch_print_holds_what_the_requesting_admin_may_see(shared, app, make_client):
    """A diary printed in a batch job goes through the same viewer scope (here: the unit's admin)."""
    client = make_client()
    login(client, app, "admin")
    resp = client.post("/reports/batch", data={"month": MARCH, "format": "pdf", "village_id": str(shared["v2"])})
    assert resp.status_code in (200, 302), resp.get_data(as_text=True)[:300]
    with app.app_context():
        job = db.session.scalar(select(PrintJob).order_by(PrintJob.id.desc()))
        assert job.status == "done", job.error
        assert shared["h1"] in job.params["helper_ids"]
        db.session.remove()
    data = client.get(f"/reports/jobs/{job.id}/download").get_data()
    text = pdf_text(data)
    assert V2_NOTE in text and V1_NOTE in text  # the admin sees both villages of the unit


def test_performance_explanations_name_only_the_viewers_households(shared, app, make_client):
    """h1's March: 张二 (东村) was not visited and no household has a plan. 西村's first secretary reads
    the score and the rules, but not the names of 东村's households — live and once the month is closed."""
    url = f"/performance/helpers/{shared['h1']}?month={MARCH}"
    for closed in (False, True):
        body = get(make_client, app, "sec2", url).get_data(as_text=True)
        assert "李七" in body and "（他村住户）" in body
        assert "张一" not in body and "张二" not in body, f"closed={closed}: 东村 names on 西村's view"
        api = readable(get(make_client, app, "sec2", f"/api/v1/performance?month={MARCH}"))
        assert "张一" not in api and "张二" not in api
        ranking = get(make_client, app, "sec2", f"/performance/village?month={MARCH}").get_data(as_text=True)
        assert "张二" not in ranking
        own = get(make_client, app, "sec1", url).get_data(as_text=True)
        assert "张二" in own and "李七" not in own
        assert "张二" in get(make_client, app, "admin", url).get_data(as_text=True)
        if not closed:
            client = make_client()
            login(client, app, "admin")
            assert client.post("/performance/unit/close", data={"month": MARCH}).status_code in (200, 302)
    text = pdf_text(get(make_client, app, "sec2", f"/reports/diary/{shared['h1']}/{MARCH}.pdf").get_data())
    assert "得分" in text and "张二" not in text  # the closed month's score, without 东村's names


def test_redaction_replaces_whole_names_and_an_overdue_households_titles():
    from webapp.services import redact

    hidden = {"张一"}
    assert redact.flag_text("no_plan", "没有帮扶措施：张一民、张一", hidden) == "没有帮扶措施：张一民、（他村住户）"
    assert (redact.flag_text("plan_overdue", "到期未完成：张一：修路、种树；李七：养鸡", hidden)
            == "到期未完成：（他村住户）；李七：养鸡")
    assert redact.rule_dict({"label": "帮扶措施", "evidence": ["张一：修路", "李七：养鸡"]}, hidden)["evidence"] == [
        "（他村住户）", "李七：养鸡"]


# ------------------------------------------------------------------ units: lookups start from the unit

def test_a_pairing_across_units_shows_nothing_across(shared, app, make_client):
    """Should a pairing ever join a helper of one unit to a household of another (as the roster import
    once did), neither side's people see the other unit through it."""
    with app.app_context():
        db.session.add(Pairing(helper_id=shared["h_x"], household_id=shared["hh6"], start_date=date(2026, 1, 1),
                               reason="跨乡"))
        f.visit_row(shared["h_x"], shared["hh6"], at(3, 20), notes="跨乡走访")
        db.session.commit()
        db.session.remove()
    # the helper of unit x does not get unit 1's household
    mine = readable(get(make_client, app, "h_x", "/api/v1/me/households"))
    assert "王六" not in mine and "赵外" in mine
    assert get(make_client, app, "h_x", f"/households/{shared['hh6']}").status_code == 404
    # unit 1's first secretary does not get unit x's helper
    assert get(make_client, app, "sec1", f"/visits/month?helper_id={shared['h_x']}&month={MARCH}").status_code == 404
    assert get(make_client, app, "sec1", f"/reports/diary/{shared['h_x']}/{MARCH}.pdf").status_code == 404
    assert get(make_client, app, "sec1", f"/performance/helpers/{shared['h_x']}?month={MARCH}").status_code == 404
    # unit x's admin prints h_x's diary without unit 1's household or visit
    resp = get(make_client, app, "admin_x", f"/reports/diary/{shared['h_x']}/{MARCH}.pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.get_data())
    assert "王六" not in text and "跨乡走访" not in text and "东村" not in text
    # and so does a batch print of the unit's diaries (run by the job queue as the requesting admin)
    client = make_client()
    login(client, app, "admin_x")
    assert client.post("/reports/batch", data={"month": MARCH, "format": "zip"}).status_code in (200, 302)
    with app.app_context():
        job = db.session.scalar(select(PrintJob).order_by(PrintJob.id.desc()))
        assert job.status == "done", job.error
        db.session.remove()
    with zipfile.ZipFile(io.BytesIO(client.get(f"/reports/jobs/{job.id}/download").get_data())) as zf:
        texts = [pdf_text(zf.read(name)) for name in zf.namelist()]
    assert texts and all("外帮扶" in t and "跨乡走访" not in t and "王六" not in t for t in texts)


def _attacks(ids: dict) -> list[tuple[str, str, str, dict]]:
    """(who, method, url, form) — each names a record of unit 1 from unit x."""
    m = MARCH
    admin = [
        ("POST", "/admin/villages", {"village_id": ids["v1"], "name": "被改名", "geofence_m": "2000"}),
        ("POST", "/admin/users", {"username": "newbie", "display_name": "新人", "role": "team_member",
                                  "password": "long-password-1", "village_id": ids["v1"]}),
        ("POST", "/admin/users", {"username": "newbie2", "display_name": "新人", "role": "first_secretary",
                                  "password": "long-password-1", "village_id": ids["v2"]}),
        ("POST", f"/admin/users/{ids['h1']}/active", {"active": "0"}),
        ("POST", f"/admin/users/{ids['admin']}/active", {"active": "0"}),
        ("POST", f"/admin/users/{ids['sec1']}/password", {"password": "another-password-1"}),
        ("GET", f"/admin/pairings?village_id={ids['v1']}", {}),
        ("POST", f"/admin/households/{ids['hh1']}/pairing", {"helper_id": ids["h_x"], "reason": "抢户"}),
        ("POST", f"/admin/households/{ids['hh1']}/pairing", {"reason": "解除"}),
        ("POST", f"/admin/households/{ids['hhx1']}/pairing", {"helper_id": ids["h1"], "reason": "借人"}),
        ("POST", f"/admin/households/{ids['hh6']}/pairing", {"helper_id": ids["h2"], "reason": "借人"}),
        ("POST", "/reports/batch", {"month": m, "format": "pdf", "village_id": ids["v1"]}),
        ("GET", f"/reports/jobs/{ids['job']}/download", {}),
        ("GET", f"/reports/diary/{ids['h1']}/{m}.pdf", {}),
        ("GET", f"/reports/attendance/{ids['v1']}/{m}.pdf", {}),
        ("GET", f"/performance/unit?month={m}&village_id={ids['v1']}", {}),
        ("GET", f"/performance/unit/quarter?quarter=2026-Q1&village_id={ids['v1']}", {}),
        ("GET", f"/performance/unit/export?month={m}&village_id={ids['v1']}&format=csv", {}),
        ("GET", f"/performance/unit/export?month={m}&village_id={ids['v1']}&format=xlsx", {}),
        ("GET", f"/performance/unit/quarter/export?quarter=2026-Q1&village_id={ids['v1']}&format=xlsx", {}),
        ("GET", f"/performance/helpers/{ids['h1']}?month={m}", {}),
        ("GET", f"/performance/helpers/{ids['h1']}/year?year=2026", {}),
        ("POST", f"/performance/spot-checks/items/{ids['spot_item']}", {"result": "不符合", "note": "外乡改"}),
        ("GET", f"/village/team?village_id={ids['v1']}", {}),
        ("GET", f"/village/helpers?village_id={ids['v1']}", {}),
        ("GET", f"/village/team/{ids['team1']}/calendar", {}),
        ("GET", f"/api/v1/attendance/summary?village_id={ids['v1']}&month={m}", {}),
        ("GET", f"/api/v1/performance?month={m}&village_id={ids['v1']}", {}),
        ("GET", f"/visits/month?helper_id={ids['h1']}&month={m}", {}),
        ("GET", f"/households/{ids['hh1']}", {}),
        ("GET", f"/households/{ids['hh1']}/visits", {}),
        ("POST", f"/households/{ids['hh1']}/citizen-id", {}),
        ("GET", f"/visits/{ids['visit_v1']}", {}),
        ("GET", f"/api/v1/photos/{ids['photo_v1']}/thumb", {}),
    ]
    out = [("admin_x", *a) for a in admin]
    for who in ("sec_x", "h_x"):
        out += [(who, "GET", f"/visits/month?helper_id={ids['h1']}&month={m}", {}),
                (who, "GET", f"/reports/diary/{ids['h1']}/{m}.pdf", {}),
                (who, "GET", f"/households/{ids['hh1']}", {}),
                (who, "GET", f"/visits/{ids['visit_v1']}", {}),
                (who, "GET", f"/api/v1/photos/{ids['photo_v1']}", {}),
                (who, "POST", f"/village/visits/{ids['visit_v1']}/review", {"action": "returned", "comment": "外乡退回"})]
    out += [("sec_x", "GET", f"/village/team?village_id={ids['v1']}", {}),
            ("sec_x", "GET", f"/village/helpers?village_id={ids['v1']}", {}),
            ("sec_x", "GET", f"/performance/helpers/{ids['h1']}?month={m}", {}),
            ("sec_x", "GET", f"/reports/attendance/{ids['v1']}/{m}.pdf", {})]
    return out


UNIT1 = ("测试乡", "东村", "西村", "张一", "张二", "李七", "帮扶一", "书记一", V1_NOTE)


def test_other_units_ids_in_every_field_answer_404_and_store_nothing(shared, app, make_client):
    with app.app_context():
        o = {k: db.session.get(User, shared[k]) for k in ("admin", "h1")}
        draw = SpotCheckDraw(unit_id=o["admin"].unit_id, month=MARCH, seed="s", ratio=0.3, drawn_by_id=o["admin"].id)
        db.session.add(draw)
        db.session.flush()
        item = SpotCheckItem(draw_id=draw.id, helper_id=o["h1"].id)
        job = PrintJob(kind="diaries", params={"month": MARCH, "format": "pdf"}, requested_by_id=o["admin"].id,
                       status="done", done=1, total=1, result_key="prints/none.pdf",
                       expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        db.session.add_all([item, job])
        db.session.commit()
        ids = dict(shared, spot_item=item.id, job=job.id)
        db.session.remove()
    wrong = []
    for who, method, url, form in _attacks(ids):
        client = make_client()
        login(client, app, who)
        before = row_counts(app)
        resp = client.open(url, method=method, data={k: str(v) for k, v in form.items()} if form else None)
        shown = [n for n in UNIT1 if n in readable(resp)]
        # 404 like any record out of scope; 403 where the role may not use the route at all
        expected = 403 if (who, url.split("/")[-1]) == ("h_x", "review") else 404
        if resp.status_code != expected or shown:
            wrong.append(f"{who} {method} {url}: {resp.status_code} {shown}")
        if row_counts(app) != before:
            wrong.append(f"{who} {method} {url}: stored something")
    assert not wrong, "\n".join(wrong)
    with app.app_context():  # nothing changed in place either
        assert db.session.get(Village, shared["v1"]).name == "东村"
        assert db.session.get(User, shared["h1"]).active and db.session.get(User, shared["admin"]).active
        assert db.session.get(User, shared["sec1"]).session_version == 0
        assert db.session.get(SpotCheckItem, ids["spot_item"]).result is None
        assert db.session.get(PrintJob, ids["job"]).status == "done"
        current = db.session.scalar(select(Pairing).where(Pairing.household_id == shared["hh1"], Pairing.end_date.is_(None)))
        assert current.helper_id == shared["h1"]
        assert db.session.scalar(select(AuditLog).where(AuditLog.user_id.in_([shared["admin_x"], shared["sec_x"]]))) is None
        assert db.session.scalar(select(Photo).where(Photo.id == shared["photo_v1"])) is not None
        db.session.remove()
