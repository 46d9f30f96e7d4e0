"""flask storage: moving an installation's photos and print results to another store."""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

storage_cli = AppGroup("storage", help="照片与打印文件的存储（本地目录或 S3 兼容对象存储）")


@storage_cli.command("migrate")
@click.option("--to", "target", required=True, help="目标：s3://bucket/prefix 或 file:///path")
@click.option("--endpoint-url", default=None, help="目标的 S3 端点（默认 S3_ENDPOINT_URL）")
@click.option("--workers", default=8, show_default=True, help="并行复制数")
@with_appcontext
def migrate(target: str, endpoint_url: str | None, workers: int) -> None:
    """把当前存储（STORAGE_URL 或 UPLOAD_DIR）的全部文件复制到 --to。

    可重复运行（已复制且大小一致的跳过），中断后再运行即可继续；每个文件复制后核对大小；
    源文件不删除。完成后检查数据库引用的每个文件都在目标中，然后把 STORAGE_URL 改为目标。
    """
    from .services import storage, storage_copy

    src = storage.get()
    try:
        dst = storage.from_url(target, endpoint_url or current_app.config.get("S3_ENDPOINT_URL"))
        click.echo(f"从 {src.url} 复制到 {dst.url} …")
        result = storage_copy.copy_all(src, dst, workers=workers, progress=lambda r: click.echo(
            f"  已复制 {r.copied}，跳过 {r.skipped}，失败 {len(r.failed)}"))
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"复制 {result.copied} 个文件（{result.bytes / 1e6:.1f} MB），已存在跳过 {result.skipped} 个，"
               f"失败 {len(result.failed)} 个。")
    for line in result.failed[:50]:
        click.echo(f"  {line}", err=True)
    lost = storage_copy.missing(dst, storage_copy.referenced_keys())
    never = set(storage_copy.missing(src, lost))  # missing in the source already: nothing to copy
    for key in sorted(never)[:50]:
        click.echo(f"  源存储中本就缺少（无法复制）：{key}", err=True)
    lost = [k for k in lost if k not in never]
    for key in lost[:50]:
        click.echo(f"  目标中缺少数据库引用的文件：{key}", err=True)
    if result.failed or lost:
        raise click.ClickException(f"未完成：{len(result.failed)} 个失败，{len(lost)} 个引用文件缺失；请再次运行。")
    click.echo(f"数据库引用的文件全部在目标中。请把 STORAGE_URL 设为 {dst.url} 并重启各服务器。")


@storage_cli.command("check")
@with_appcontext
def check() -> None:
    """检查数据库引用的每个文件都在当前存储中。"""
    from .services import storage, storage_copy

    store = storage.get()
    lost = storage_copy.missing(store, storage_copy.referenced_keys())
    for key in lost[:200]:
        click.echo(f"缺少：{key}", err=True)
    if lost:
        raise click.ClickException(f"{store.url}：{len(lost)} 个引用文件缺失。")
    click.echo(f"{store.url}：数据库引用的文件全部存在。")
