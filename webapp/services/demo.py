"""Demo data for a newcomer: one township, three villages, a lived-in roster."""
import random
from datetime import date, timedelta

from ..extensions import db
from ..models import EDUCATION_STAGES, Household, Member, Pairing, Role, Unit, User, Village
from ..models.identity import id_check_char
from .calendar import local_today
from .rules import Rules

PASSWORD = "bangfu2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田向覃谭"
GIVEN = "建国华明丽芳军伟强敏静秀英志刚桂兰玉梅德福海燕春红平小云霞金凤永红少华双喜长青"
CAUSES = ("因病", "因残", "因学", "缺技术", "缺劳力", "缺资金", "因灾")
VILLAGES = (("青山村", 30.2960, 109.4870), ("石桥村", 30.3120, 109.5210), ("柳树湾村", 30.2710, 109.4560))
STAGE_AGES = {"学前教育": 4, "小学": 9, "初中": 13, "高中": 16, "中职": 16, "高职": 19, "本科": 20, "硕士": 24, "博士": 27}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _citizen_id(rng: random.Random, born: date, seq: int) -> str:
    first17 = f"422801{born:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def _user(username: str, name: str, role: str, unit: Unit, village: Village | None = None) -> User:
    user = User(username=username, display_name=name, role=role, unit_id=unit.id,
                village_id=village.id if village else None)
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def logins() -> list[tuple[str, str]]:
    rows = [("admin", "扶贫办管理员（全乡）")]
    for i, (name, _, _) in enumerate(VILLAGES, start=1):
        rows += [(f"sec{i}", f"驻村第一书记（{name}）"), (f"team{i}1", f"驻村工作队员（{name}，另有 team{i}2）")]
    rows.append(("helper01", "帮扶责任人（帮扶教师），共 helper01–helper30"))
    rows.append(("county", "县扶贫攻坚指挥部（审批结对调整，查看各乡镇）"))
    return rows


def seed(rules: Rules, rng: random.Random | None = None) -> None:
    """Create the demo township (visits, photos and flags under the given rules)."""
    rng = rng or random.Random(2026)
    today = local_today()
    unit = Unit(name="清江乡人民政府", kind="township", require_signature=True)
    db.session.add(unit)
    db.session.flush()
    admin = _user("admin", "乡扶贫办 覃主任", Role.OFFICE_ADMIN, unit)
    villages = []
    for name, lat, lng in VILLAGES:
        v = Village(unit_id=unit.id, name=name, latitude=lat, longitude=lng)
        db.session.add(v)
        villages.append(v)
    db.session.flush()
    for i, v in enumerate(villages, start=1):
        _user(f"sec{i}", _name(rng), Role.FIRST_SECRETARY, unit, v)
        for j in (1, 2):
            _user(f"team{i}{j}", _name(rng), Role.TEAM_MEMBER, unit, v)
    helpers = [_user(f"helper{n:02d}", _name(rng) + "老师", Role.HELPER, unit) for n in range(1, 31)]
    db.session.flush()

    seq = 0
    stages = list(EDUCATION_STAGES)
    for h_index, helper in enumerate(helpers):
        village = villages[h_index % 3]
        for k in range(4):
            seq += 1
            born = date(1950 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29))
            located = rng.random() > 0.1
            hh = Household(
                village_id=village.id, head_name=_name(rng), citizen_id=_citizen_id(rng, born, seq),
                size=rng.randrange(1, 7), poverty_cause=rng.choice(CAUSES),
                status=rng.choices(("已脱贫", "未脱贫", "监测户"), (6, 2, 2))[0],
                phone=f"13{rng.randrange(100000000, 999999999)}",
                address=f"{village.name}{rng.randrange(1, 9)}组{rng.randrange(1, 60)}号",
                latitude=village.latitude + rng.uniform(-0.008, 0.008) if located else None,
                longitude=village.longitude + rng.uniform(-0.008, 0.008) if located else None,
                location_source="roster" if located else None,
            )
            db.session.add(hh)
            db.session.flush()
            spouse_born = born + timedelta(days=rng.randrange(-900, 900))
            db.session.add(Member(household_id=hh.id, name=hh.head_name, relation="户主", birth_date=born))
            db.session.add(Member(household_id=hh.id, name=_name(rng), relation="配偶", birth_date=spouse_born))
            if seq % 2 == 0:
                stage = stages[(seq // 2) % len(stages)]
                db.session.add(Member(
                    household_id=hh.id, name=hh.head_name[0] + rng.choice(GIVEN) + rng.choice(GIVEN),
                    relation="子女", birth_date=date(today.year - STAGE_AGES[stage], rng.randrange(1, 13), 15),
                    education_stage=stage, school=f"清江乡中心{'小学' if stage in ('学前教育', '小学') else '学校'}",
                ))
            db.session.add(Pairing(helper_id=helper.id, household_id=hh.id, start_date=date(today.year - 1, 3, 1),
                                   reason="乡扶贫办统一结对", created_by_id=admin.id))
    db.session.flush()
    from . import demo_visits  # two months of visits with photos, measures, a few flagged

    demo_visits.seed(rules.visits, rng)
    from . import demo_attendance  # two months of team check-ins and leave, one member behind

    demo_attendance.seed(rng, rules.attendance)
    from . import demo_assessment  # policy problems, a spot check that counts, a fake visit

    demo_assessment.seed(rng, rules.scoring, rules.visits)
    from . import demo_signatures  # the households' signatures, reasons, a few 未签字

    demo_signatures.seed(rules.photos)
    from . import demo_county  # the county above the township, pairing changes waiting for it

    demo_county.seed(rng, _user)
    from . import demo_offices  # village year-end assessments, on-site assessments

    demo_offices.seed(rng)
