"""Defaults. instance/config.py overrides these; environment variables override both.

Every number that comes from the programme's rules is a default here, not a constant in code.
"""
from datetime import timedelta


class Default:
    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    UPLOAD_DIR = None  # set in create_app: instance/uploads
    # photos and print results: file:///path (default: UPLOAD_DIR) or s3://bucket/prefix;
    # S3_ENDPOINT_URL for MinIO/OSS/COS/OBS, credentials from the standard AWS_* variables
    STORAGE_URL = None
    S3_ENDPOINT_URL = None
    SQLITE_BUSY_TIMEOUT_MS = 20000  # a write waits this long for SQLite's lock (bench/load.py)
    TIMEZONE = "Asia/Shanghai"

    # sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "stay logged in": the cookie, and the login it carries, end this long after the login
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # reverse proxies in front of the app (Caddy/nginx terminating HTTPS): 0 = none
    PROXY_COUNT = 0
    # replays from the offline outbox may be days old: the token lives as long as the session
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    # login limits (services/auth.py, README "Security"): failures within the window, which starts
    # at the first failure. Per (username, address); also the re-entered password on /account.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # any usernames: the address is refused, no one else
    LOGIN_MAX_FAILURES_PER_USERNAME = 10  # any addresses: refused except on browsers known to the account
    LOGIN_WINDOW_MINUTES = 15
    LOGIN_DEVICE_COOKIE_DAYS = 180  # how long a browser stays known to the accounts it logged in to

    # roster import. Header names as offices write them, for each field the import knows
    # (the key is the name this app uses). Spaces, line breaks, full-width brackets, a leading * and a
    # trailing unit in brackets (家庭人口（人）) are ignored when comparing. An office adds its own
    # names in instance/config.py without copying this table:
    #   ROSTER_HEADER_SYNONYMS_EXTRA = {"村名": ["所属村组"], "帮扶责任人": ["包户干部"]}
    ROSTER_HEADER_SYNONYMS = {
        "序号": ["序号", "序", "No."],
        "村名": ["村名", "行政村", "所在村", "村（社区）", "村", "村别", "所属村", "村名称", "行政村名称", "所在行政村"],
        "户主姓名": ["户主姓名", "户主", "户主名称"],
        "身份证号": ["身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证", "公民身份证号码", "证件号"],
        "户主身份证号": ["户主身份证号", "户主身份证号码", "户主证件号码", "户主公民身份号码"],
        "家庭人口": ["家庭人口", "人数", "家庭人口数", "人口数", "家庭人数", "户人口数", "家庭成员数"],
        "致贫原因": ["致贫原因", "主要致贫原因", "致贫原因1"],
        "脱贫状态": ["脱贫状态", "脱贫属性", "户类型", "贫困户属性", "户属性", "贫困户状态"],
        "联系电话": ["联系电话", "户联系电话", "手机号码", "手机号", "电话", "联系方式", "电话号码"],
        "家庭住址": ["家庭住址", "住址", "家庭地址", "详细地址", "地址"],
        "经度": ["经度"],
        "纬度": ["纬度"],
        "坐标系": ["坐标系", "坐标类型", "坐标系统"],
        "帮扶责任人": ["帮扶责任人", "帮扶人", "帮扶干部", "帮扶责任人用户名"],
        "姓名": ["姓名", "成员姓名", "家庭成员姓名"],
        "与户主关系": ["与户主关系", "与户主的关系"],
        "出生日期": ["出生日期", "出生年月日", "出生年月"],
        "在读学段": ["在读学段", "在校生状况", "在校生情况", "就读学段", "学段", "在校情况"],
        "就读学校": ["就读学校", "学校", "就读学校名称"],
        "户编号": ["户编号", "户码"],
    }
    ROSTER_HEADER_SYNONYMS_EXTRA: dict = {}
    ROSTER_MAX_ROWS = 120_000  # rows read from one file (all sheets, blank rows too); the rest is refused
    ROSTER_MAX_FILE_MB = 12  # one file (the CLI too; the web page is also bound by MAX_CONTENT_LENGTH)
    ROSTER_PENDING_MINUTES = 120  # an uploaded roster waits this long for the office admin to confirm
    ROSTER_PENDING_DIR = None  # set in create_app: instance/roster_pending

    # pairing (003: 帮扶责任人帮扶不超过5户)
    HOUSEHOLD_LIMIT = 5  # from source: 003

    # visits
    VISIT_GEOFENCE_M = 300  # per-unit value overrides
    GPS_ACCURACY_FLAG_M = 200
    MAX_TRAVEL_KMH = 120
    LATE_ENTRY_HOURS = 72  # LOCAL CHOICE (timeliness of entries; no source number)
    OFFLINE_WINDOW_DAYS = 7
    FUTURE_SKEW_MINUTES = 5
    MAX_PHOTOS_PER_VISIT = 9
    PHOTO_MAX_BYTES = 10 * 1024 * 1024
    PHOTO_MAX_PIXELS = 40_000_000
    # peak memory one photo may take while processed (services/photos.working_bytes); larger is refused
    PHOTO_MEMORY_BUDGET_MB = 100
    PHOTO_LONG_EDGE = 1600
    THUMB_LONG_EDGE = 320
    OFFLINE_LATE_HOURS = 1  # received this long after check-in: 离线补传
    # evidence flags
    PHOTO_DUPLICATE_MAX_BITS = 4  # pHash distance (of 64 bits) up to which a photo is a copy (≤ 7: see phash.py)
    PHOTO_TIME_MISMATCH_HOURS = 24  # photo taken this long before or after the check-in: 照片时间不符
    SAME_SPOT_RADIUS_M = 100  # check-ins this close together …
    SAME_SPOT_WINDOW_MINUTES = 60  # … within this time …
    SAME_SPOT_HOUSEHOLDS_APART_M = 500  # … at households this far apart: 同地多户
    SAME_SPOT_MIN_HOUSEHOLDS = 2  # at least this many other households besides this one's
    # per helper per local day (services/visit_caps.py): bounds what one account's diary can cost
    VISIT_DAILY_MAX = 10
    VISIT_DAILY_TEXT_MAX = 20_000  # characters: notes, problems, next steps, checklist notes

    # attendance (002: 每季度驻村50天以上, 签到50次以上)
    VILLAGE_GEOFENCE_M = 2000
    QUARTER_DAYS_TARGET = 50  # from source: 002 "每季度驻村50天以上"
    QUARTER_CHECKINS_TARGET = 50  # from source: 002 "每季度在手机APP上签到50次以上"
    # which check-ins count towards QUARTER_CHECKINS_TARGET (LOCAL CHOICE, configurable):
    # only those inside the village geofence, and at most this many per local (Asia/Shanghai) day
    # (0 = no daily cap). Every check-in is still stored and shown.
    CHECKINS_COUNT_INSIDE_ONLY = True
    CHECKINS_COUNTED_PER_DAY = 1
    HOLIDAYS: list[str] = [
        "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
        "2026-02-20", "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05",
        "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
    ]
    MAKEUP_WORKDAYS: list[str] = ["2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    LEAVE_BACKDATE_DAYS = 31  # leave may be asked for afterwards (sick leave), this many days back
    RECENT_VISITS_SHOWN = 20  # the first secretary's list of recent visits in the village
    RANKING_PAGE_SIZE = 100  # helpers per page of the office's ranking (a township has ~1,000)

    # performance. The sources (004, 001) say WHAT is checked; no source gives helper score parts,
    # weights, thresholds or deadlines: every number below marked LOCAL CHOICE is the product's own
    # (the README table "Where every number comes from" lists them all).
    SCORE_WEIGHTS = {"coverage": 50, "diary": 20, "measures": 20, "timeliness": 10}  # LOCAL CHOICE
    SCORE_FLAG_DEDUCTION = 2  # LOCAL CHOICE
    SCORE_FLAG_DEDUCTION_MAX = 20  # LOCAL CHOICE
    DIARY_DEADLINE_DAY = 5  # LOCAL CHOICE (002 asks a diary a month, not by which day)
    # from source 001 六(一)3: the town's quarterly assessment of VILLAGES, weighted 20/20/20/40 (with a
    # year-end assessment). Not used for helpers: services/village_assessment.py.
    QUARTER_WEIGHTS = [0.2, 0.2, 0.2, 0.4]
    # a village's quarter (百分制, 001 六(一)3) from its helpers' quarter scores and its work team's quarter
    # attendance against 002's targets: the parts are a LOCAL CHOICE (001 names no parts)
    VILLAGE_SCORE_PARTS = {"helpers": 60, "team": 40}
    # 001: "各季度考核成绩和年终考核成绩构成最终考核得分" without a split: LOCAL CHOICE
    VILLAGE_YEAR_SPLIT = {"quarters": 0.5, "year_end": 0.5}
    VILLAGE_REWARD_TOP = 3  # from source: 001 六(三)1 "考核合格排前三名的村…奖励"
    VILLAGE_PENALTY_BOTTOM = 2  # from source: 001 六(一)3 "最后两名的村取消年终评先评优资格"
    # the office's quarterly on-site result (004 第六条(二)) caps the helper's year-end rating at the
    # worst result of the year: LOCAL CHOICE, configurable (004 第五条 only names it as the basis)
    ONSITE_CAPS_YEAR = True
    TEAM_MIN_SIZE = 3  # from source: 001 "第一书记和驻村工作队一般不少于 3 人，队长 1 人，队员不少于 2 人"
    # a team person absent this many working days in a row (within the last TEAM_RECALL_LOOKBACK_DAYS)
    # is a 召回 candidate (000 "约谈、召回", 003 "长期不在岗"): LOCAL CHOICE, configurable
    TEAM_RECALL_ABSENT_DAYS = 10
    TEAM_RECALL_LOOKBACK_DAYS = 30
    VILLAGE_PASS_SCORE = 60  # LOCAL CHOICE (001 "考核不合格" gives no line): below it the bottom two are 约谈
    # a helper's year from their four quarters: LOCAL CHOICE, configurable (equal weights; 004 第五条
    # only says the monthly spot checks and quarterly assessments are the basis of the year-end rating)
    HELPER_QUARTER_WEIGHTS = [0.25, 0.25, 0.25, 0.25]
    RATING_EXCELLENT = 90  # LOCAL CHOICE
    RATING_PASS = 60  # LOCAL CHOICE
    SPOT_CHECK_RATIO = 0.3  # from source: 004 第六条(一) "考核组按30%的比例…随机抽查"
    # What a spot-check result does to that month's score and rating. The spot check itself is from
    # 004 第六条(一) and 第五条 ("以月抽查、季考核结果作为年终考核评价…的重要依据"); the points and caps
    # are a LOCAL CHOICE, configurable: deduction = points off the month's score, rating_cap = the best
    # rating the month can still have (优秀 > 合格 > 不合格). A result not listed here changes nothing.
    # 弄虚作假 confirmed by a reviewer or a spot check: flag 004 第九条(四)2 (党政纪处分 candidate) and cap
    # the month's rating at this (LOCAL CHOICE, configurable; None = flag only)
    FAKE_RATING_CAP = "不合格"
    # where two items of 004 第九条 could apply to one automatic flag, the item used (LOCAL CHOICE):
    # incomplete_records (missing or sent-back diary): "(一)3" 各类表册等材料上报不及时、填写不规范、不完善的
    #   or "(二)4" 未按照要求填写精准扶贫表格的 (default);
    # plan_overdue (a measure open past its due date): "(二)3" 在规定时间内没有完成各项工作任务的
    #   or "(三)5" 没有完成帮扶计划的 (default).
    SANCTION_CHOICES = {"incomplete_records": "(二)4", "plan_overdue": "(三)5"}
    SPOT_CHECK_EFFECTS = {
        "基本符合": {"deduction": 5, "rating_cap": "合格"},
        "不符合": {"deduction": 20, "rating_cap": "不合格"},
    }

    # a subsidy answered 未享受 or a 两不愁三保障 item answered 否 opens a problem on the household due this
    # many days after the visit (LOCAL CHOICE, configurable); open at its due date = 004 第九条(三)1
    POLICY_PROBLEM_DAYS = 30
    # the new students' one-time travel and short-term living allowance (新生一次性路费和短期生活费) the
    # school checks (000). 000 names the item without an amount; the amounts below are 000's 新生入学资助
    # ("考入省内高校的资助标准为500元，考入省外高校的资助标准为1000元"). Configurable: the local standard.
    NEW_STUDENT_ALLOWANCE = "省内 500 元、省外 1000 元（一次性）"

    # PDF batch jobs
    HUEY_IMMEDIATE = False
    PRINT_RESULT_TTL_HOURS = 48
    PRINT_DOWNLOAD_GRACE_MINUTES = 30  # a downloaded result stays this long (a retry), then is deleted
    PDF_WORKERS = 0  # processes rendering a batch; 0 = one per CPU core
    PDF_TASKS_PER_CHILD = 20  # documents per process before it is replaced (returns WeasyPrint's memory)
    PRINT_JOB_STALE_MINUTES = 60  # a job still "running" after this long has lost its worker: failed
    # one diary or attendance sheet for a web request (services/printing/pool.py)
    PDF_RENDER_SLOTS = 0  # documents rendered at once on this machine, all workers together; 0 = half the cores, at least 2
    PDF_SLOT_WAIT_SECONDS = 3  # a request waits this long for a free slot, then 503
    PDF_RENDER_TIMEOUT_SECONDS = 55  # the render process is killed after this long: 503 (before nginx's 60 s proxy timeout)
    PDF_MAX_PAGES = 1000  # a longer document is refused after layout
    PDF_RENDER_NICE = 10  # the render process's lower priority: web pages go first
    PDF_LOCK_DIR = None  # the lock files; None = instance/locks/pdf-<database>
