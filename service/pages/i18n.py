"""The pages' UI strings in Chinese (the default) and English."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

STRINGS: dict[str, dict[str, str]] = {
    "app_name": {"zh": "ChainScout 链式招商", "en": "ChainScout"},
    "dashboard": {"zh": "产业数据驾驶舱", "en": "Industry data cockpit"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "api_key": {"zh": "API 密钥", "en": "API key"},
    "login_hint": {"zh": "请输入您的 API 密钥登录。", "en": "Log in with your API key."},
    "bad_key": {"zh": "密钥无效或已撤销。", "en": "The key is unknown or revoked."},
    "logged_in_as": {"zh": "当前角色", "en": "Signed in as"},
    "weak_links": {"zh": "薄弱环节", "en": "Weak links"},
    "rank": {"zh": "排名", "en": "Rank"},
    "node": {"zh": "环节", "en": "Link"},
    "stage": {"zh": "环节位置", "en": "Stage"},
    "score": {"zh": "得分", "en": "Score"},
    "local_firms": {"zh": "本地企业数", "en": "Local firms"},
    "explanation": {"zh": "说明", "en": "Why"},
    "choose_link": {"zh": "选择招商环节", "en": "Weak link to recruit for"},
    "show": {"zh": "查看", "en": "Show"},
    "ranked_firms": {"zh": "推荐企业", "en": "Firms to recruit"},
    "firm": {"zh": "企业", "en": "Firm"},
    "country": {"zh": "国家/地区", "en": "Country"},
    "city": {"zh": "城市", "en": "City"},
    "size": {"zh": "规模", "en": "Size"},
    "p_success": {"zh": "签约概率", "en": "P(success)"},
    "reason": {"zh": "推荐理由", "en": "Reasons"},
    "source": {"zh": "来源", "en": "Source"},
    "candidates": {"zh": "候选企业数", "en": "Candidates"},
    "model_version": {"zh": "模型版本", "en": "Model version"},
    "data_version": {"zh": "数据版本", "en": "Data version"},
    "provenance": {"zh": "数据来源", "en": "Data provenance"},
    "synthetic": {"zh": "合成数据（演示）", "en": "synthetic (demo)"},
    "real": {"zh": "真实数据", "en": "real"},
    "mixed": {"zh": "真实与合成数据混合", "en": "mixed real and synthetic"},
    "synthetic_short": {"zh": "合成", "en": "synthetic"},
    "real_short": {"zh": "真实", "en": "real"},
    "export_csv": {"zh": "导出 CSV", "en": "Export CSV"},
    "no_export": {"zh": "当前角色无导出权限。", "en": "Your role may not export."},
    "no_rankings": {"zh": "当前角色无权查看排名。", "en": "Your role may not read rankings."},
    "no_firms": {"zh": "暂无候选企业。", "en": "No candidate firms."},
    "language": {"zh": "语言", "en": "Language"},
}


def translate(key: str, lang: str) -> str:
    """Return the UI string ``key`` in ``lang`` (the key itself when there is none).

    >>> translate("logout", "en"), translate("logout", "zh"), translate("nope", "en")
    ('Log out', '退出', 'nope')
    """
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]
