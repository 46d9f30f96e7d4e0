"""Blueprints, registered in one place, and the error pages."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from ..services.errors import DomainError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_blueprints(app: Flask) -> None:
    from . import admin, api, auth, households, main, pwa, secretary, visits

    for module in (auth, main, households, secretary, admin, api, visits, pwa):
        app.register_blueprint(module.bp)
    from . import api_attendance, attendance, reviews  # issue 5: attendance, leave, visit review

    for module in (attendance, api_attendance, reviews):
        app.register_blueprint(module.bp)
    from . import reports  # issue 7: printed documents

    app.register_blueprint(reports.bp)
    from . import api_performance, performance  # issue 6: helper performance, spot checks

    for module in (performance, api_performance):
        app.register_blueprint(module.bp)

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        if _wants_json():
            return jsonify(errors=err.errors), err.status
        return render_template("error.html", code=err.status, message=err.message), err.status

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        if _wants_json():
            return jsonify(errors={"csrf_token": ["CSRF 令牌缺失或无效，请刷新后重试。"]}), 400
        return render_template("error.html", code=400, message="页面已过期或来源无效，请刷新后重试。"), 400

    for code, message in ((400, "请求有误。"), (403, "您无权访问此页面。"), (404, "页面不存在。"),
                          (405, "不支持此操作。"), (429, "操作太频繁，请稍后再试。")):
        app.register_error_handler(code, _http_error(code, message))

    @app.errorhandler(413)
    def too_large(err):
        """Beyond MAX_CONTENT_LENGTH: say the limit; on the photo endpoints name the `photo` field."""
        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) / 1048576
        message = f"上传的文件或数据太大（上限 {limit:.0f} MB）。" if limit else "上传的文件或数据太大。"
        if _wants_json():
            field = "photo" if request.path.rstrip("/").endswith(("/photo", "/photos")) else "_request"
            return jsonify(errors={field: [message]}), 413
        return render_template("error.html", code=413, message=message), 413


def _http_error(code: int, message: str):
    def handler(err):
        if _wants_json():
            return jsonify(errors={"_request": [message]}), code
        return render_template("error.html", code=code, message=message), code

    return handler
