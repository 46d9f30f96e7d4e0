"""Error answers, in Chinese, for every status: a page that says what happened and what to do next
(never a bare status number, never Werkzeug's English page), or on the JSON API
`{"errors": {field: ["…"]}}`.

Domain errors (services.errors) carry their own message and status; HTTP errors (abort(404), an
unknown URL, a wrong method, a body over MAX_CONTENT_LENGTH, a CSRF failure) and any unhandled
exception (500, logged by Flask first) get the text below.
"""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..services.errors import DomainError

# status → (title, what happened, what to do next)
TEXTS: dict[int, tuple[str, str, str]] = {
    400: ("请求有误", "请求有误。", "请返回上一页，检查填写的内容后再试。"),
    401: ("请先登录", "登录已过期，请重新登录。", "请重新登录后再试。"),
    403: ("没有权限", "您无权访问此页面。", "如需访问，请联系扶贫办管理员开通权限。"),
    404: ("页面不存在", "页面不存在。", "请检查网址，或回到首页重新进入。"),
    405: ("不支持此操作", "不支持此操作。", "请使用页面上的按钮或链接操作。"),
    409: ("与现有记录冲突", "操作与现有记录冲突。", "请刷新页面查看最新情况后再试。"),
    410: ("内容已不存在", "要找的内容已删除或已过期。", "请回到首页重新进入。"),
    413: ("文件太大", "上传的文件或数据太大。", "请压缩或缩小后重新上传。"),
    415: ("格式不支持", "不支持这种文件或数据格式。", "请换用页面说明的格式后重试。"),
    422: ("填写有误", "填写的内容有误。", "请返回修改后再提交。"),
    429: ("操作太频繁", "操作太频繁，请稍后再试。", "请等几分钟后再试。"),
    500: ("服务器出错了", "服务器处理时出错了，这次操作没有完成。",
          "请稍后重试；如果一直出错，请联系扶贫办管理员，并告诉他们出错的时间和操作。"),
    502: ("服务暂时不可用", "服务暂时不可用。", "请稍后再试。"),
    503: ("服务暂时不可用", "服务正在维护或太忙，暂时不可用。", "请稍后再试。"),
    504: ("服务器响应超时", "服务器响应超时。", "请稍后再试；上传的内容可以在“待发送”里重新发送。"),
}
CLIENT_DEFAULT = ("请求无法完成", "请求无法完成。", "请返回上一页检查后再试，或回到首页。")
SERVER_DEFAULT = ("服务器出错了", "服务器出错了。", "请稍后重试；如果一直出错，请联系扶贫办管理员。")

# the last resort when the page itself cannot be rendered (the database is gone, a template fails)
BARE_500 = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>服务器出错了 · 帮扶通</title>"
            "</head><body><h1>服务器出错了</h1><p>这次操作没有完成。请稍后重试；如果一直出错，请联系扶贫办管理员。</p>"
            "<p><a href=\"/\">返回首页</a></p></body></html>")


def texts(code: int) -> tuple[str, str, str]:
    return TEXTS.get(code) or (SERVER_DEFAULT if code >= 500 else CLIENT_DEFAULT)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def answer(code: int, message: str | None = None, field: str = "_request", errors: dict | None = None,
           back: str | None = None):
    """The error answer for this request: JSON on the API, else the Chinese page."""
    message = message or texts(code)[1]
    if wants_json():
        return jsonify(errors=errors or {field: [message]}), code
    return render_template("error.html", code=code, message=message, back=back), code


def _http_error(err: HTTPException):
    code = err.code or 500
    if code < 400:  # not an error (a redirect raised as an exception): as it is
        return err
    if code >= 500:
        return _server_error(err)
    return answer(code)


def _server_error(err):
    from ..extensions import db

    try:
        db.session.rollback()  # whatever the failed request wrote
    except Exception:  # the database itself may be what failed
        pass
    code = getattr(err, "code", None) or 500
    try:
        return answer(code, field="_server")
    except Exception:
        return BARE_500, code, {"Content-Type": "text/html; charset=utf-8"}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["error_texts"] = texts

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return answer(err.status, err.message, errors=err.errors)

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        if wants_json():
            return answer(400, "CSRF 令牌缺失或无效，请刷新后重试。", field="csrf_token")
        return answer(400, "页面已过期或来源无效，请刷新后重试。")

    @app.errorhandler(413)
    def too_large(err):
        """Beyond MAX_CONTENT_LENGTH: say the limit; on the photo endpoints name the `photo` field."""
        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) / 1048576
        message = f"上传的文件或数据太大（上限 {limit:.0f} MB）。" if limit else "上传的文件或数据太大。"
        field = "photo" if request.path.rstrip("/").endswith(("/photo", "/photos")) else "_request"
        return answer(413, message, field=field)

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
