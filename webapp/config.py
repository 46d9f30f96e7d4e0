"""Defaults. instance/config.py overrides these; environment variables override both.

Every number that comes from the programme's rules is a default here, not a constant in code.
"""
from datetime import timedelta


class Default:
    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI = None  # set in create_app: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    UPLOAD_DIR = None  # set in create_app: instance/uploads
    # photos and print results: file:///path (default: UPLOAD_DIR) or s3://bucket/prefix (issue 17);
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
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # reverse proxies in front of the app (Caddy/nginx terminating HTTPS): 0 = none
    PROXY_COUNT = 0
    # replays from the offline outbox may be days old: the token lives as long as the session
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024

    # login rate limit: this many failures within the window lock the username / address
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15

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
    HOUSEHOLD_LIMIT = 5

    # visits
    VISIT_GEOFENCE_M = 300  # per-unit value overrides
    GPS_ACCURACY_FLAG_M = 200
    MAX_TRAVEL_KMH = 120
    LATE_ENTRY_HOURS = 72
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
    QUARTER_DAYS_TARGET = 50
    QUARTER_CHECKINS_TARGET = 50
    HOLIDAYS: list[str] = [
        "2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
        "2026-02-20", "2026-02-23", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05",
        "2026-06-19", "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
    ]
    MAKEUP_WORKDAYS: list[str] = ["2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
    LEAVE_BACKDATE_DAYS = 31  # leave may be asked for afterwards (sick leave), this many days back
    RECENT_VISITS_SHOWN = 20  # the first secretary's list of recent visits in the village
    RANKING_PAGE_SIZE = 100  # helpers per page of the office's ranking (a township has ~1,000)

    # performance (004, 001)
    SCORE_WEIGHTS = {"coverage": 50, "diary": 20, "measures": 20, "timeliness": 10}
    SCORE_FLAG_DEDUCTION = 2
    SCORE_FLAG_DEDUCTION_MAX = 20
    DIARY_DEADLINE_DAY = 5
    QUARTER_WEIGHTS = [0.2, 0.2, 0.2, 0.4]
    RATING_EXCELLENT = 90
    RATING_PASS = 60
    SPOT_CHECK_RATIO = 0.3

    # PDF batch jobs
    HUEY_IMMEDIATE = False
    PRINT_RESULT_TTL_HOURS = 48
    PRINT_DOWNLOAD_GRACE_MINUTES = 30  # a downloaded result stays this long (a retry), then is deleted
    PDF_WORKERS = 0  # processes rendering a batch; 0 = one per CPU core
    PDF_TASKS_PER_CHILD = 20  # documents per process before it is replaced (returns WeasyPrint's memory)
    PRINT_JOB_STALE_MINUTES = 60  # a job still "running" after this long has lost its worker: failed
    # one diary or attendance sheet for a web request (services/pdf_pool.py, issue 11)
    PDF_RENDER_SLOTS = 0  # documents rendered at once on this machine, all workers together; 0 = half the cores, at least 2
    PDF_SLOT_WAIT_SECONDS = 3  # a request waits this long for a free slot, then 503
    PDF_RENDER_TIMEOUT_SECONDS = 55  # the render process is killed after this long: 503 (before nginx's 60 s proxy timeout)
    PDF_MAX_PAGES = 1000  # a longer document is refused after layout
    PDF_RENDER_NICE = 10  # the render process's lower priority: web pages go first
    PDF_LOCK_DIR = None  # the lock files; None = instance/locks/pdf-<database>
