import Foundation
import HTTPTypes
import Hummingbird


/// The sign-in page people use (`GET /login`): name, password and the time-based code of their
/// second factor, sent to `POST /auth/login`; a one-time password is replaced on the spot. The token
/// stays in the tab's session storage. Scripts and styles are files of their own so the page runs
/// under a strict Content-Security-Policy (no inline script), and no page may frame it.
enum LoginPage {
    static func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/login") { _, _ in page(html, type: "text/html; charset=utf-8") }
        router.get("/web/login.js") { _, _ in page(script, type: "text/javascript; charset=utf-8") }
        router.get("/web/kangqiao.css") { _, _ in page(style, type: "text/css; charset=utf-8") }
    }

    static func page(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static let html = """
    <!doctype html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>康桥 · 登录 Kangqiao sign in</title>
    <link rel="stylesheet" href="/web/kangqiao.css">
    <script src="/web/login.js" defer></script>
    </head>
    <body>
    <main>
      <h1>康桥 <small>Kangqiao</small></h1>
      <p class="sub">区域健康信息平台 · regional health information platform</p>
      <form id="login" autocomplete="on" novalidate>
        <label>用户名 <small>user name</small><input id="username" name="username" autocomplete="username" required></label>
        <label>密码 <small>password</small><input id="password" name="password" type="password" autocomplete="current-password" required></label>
        <label>动态验证码 <small>6-digit code from your authenticator app</small>
          <input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required></label>
        <div id="change" hidden>
          <p class="note">首次登录须设置新密码 · this one-time password must be replaced</p>
          <label>新密码 <small>new password (10 characters or more)</small>
            <input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="10"></label>
        </div>
        <button id="submit" type="submit">登录 Sign in</button>
        <p id="error" role="alert" hidden></p>
      </form>
      <section id="signed-in" hidden>
        <h2>已登录 <small>signed in</small></h2>
        <dl>
          <dt>用户 <small>user</small></dt><dd id="who"></dd>
          <dt>身份 <small>record</small></dt><dd id="record"></dd>
          <dt>角色 <small>roles</small></dt><dd id="roles"></dd>
          <dt>权限 <small>scopes</small></dt><dd id="scopes"></dd>
          <dt>有效期 <small>expires</small></dt><dd id="expires"></dd>
        </dl>
        <ul id="restrictions"></ul>
        <button id="logout" type="button">退出 Sign out</button>
      </section>
    </main>
    </body>
    </html>
    """

    static let script = """
    'use strict';
    // Sign-in for people: POST /auth/login (password + time-based code), the token kept in this tab only.
    const $ = (id) => document.getElementById(id);

    function claims(token) {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    }

    function show(id, visible) { $(id).hidden = !visible; }

    function fail(message) {
      $('error').textContent = message;
      show('error', true);
    }

    async function nameOf(reference, token) {
      try {
        const r = await fetch('/fhir/' + reference, { headers: { Authorization: 'Bearer ' + token, Accept: 'application/fhir+json' } });
        if (!r.ok) return reference;
        const resource = await r.json();
        const name = (resource.name || [])[0] || {};
        return (name.text || ((name.family || '') + (name.given || []).join(''))) + ' (' + reference + ')';
      } catch (e) { return reference; }
    }

    async function signedIn(grant, user) {
      sessionStorage.setItem('kangqiao.token', grant.access_token);
      if (grant.refresh_token) sessionStorage.setItem('kangqiao.refresh', grant.refresh_token);
      const c = claims(grant.access_token);
      $('who').textContent = user;
      $('roles').textContent = (c.roles || []).join(', ');
      $('scopes').textContent = grant.scope || '—';
      $('expires').textContent = new Date(c.exp * 1000).toLocaleString();
      $('record').textContent = grant.fhirUser ? await nameOf(grant.fhirUser, grant.access_token) : '—';
      const list = $('restrictions');
      list.replaceChildren();
      for (const reason of grant.restrictions || []) {
        const item = document.createElement('li');
        item.textContent = reason;
        list.appendChild(item);
      }
      show('login', false);
      show('signed-in', true);
    }

    async function submit(event) {
      event.preventDefault();
      show('error', false);
      const body = { username: $('username').value.trim(), password: $('password').value, code: $('code').value.trim() };
      if (!$('change').hidden && $('new_password').value) body.new_password = $('new_password').value;
      if (!body.username || !body.password || !/^[0-9]{6}$/.test(body.code)) {
        fail('请填写用户名、密码和6位验证码 · name, password and the 6-digit code are needed');
        return;
      }
      $('submit').disabled = true;
      try {
        const r = await fetch('/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        const answer = await r.json().catch(() => ({}));
        if (r.ok) { await signedIn(answer, body.username); return; }
        if (r.status === 429) {
          fail('尝试次数过多，请 ' + (r.headers.get('Retry-After') || '60') + ' 秒后再试 · too many attempts, wait and retry');
        } else if (r.status === 403 && /new_password/.test(answer.error_description || '')) {
          show('change', true);
          fail('请设置新密码并输入新的验证码 · set a new password and enter a fresh code');
        } else if (answer.error === 'invalid_grant') {
          fail('用户名、密码或验证码错误 · wrong name, password or code');
        } else {
          fail(answer.error_description || ('登录失败 · sign-in failed (' + r.status + ')'));
        }
      } catch (e) {
        fail('无法连接服务器 · the server cannot be reached');
      } finally {
        $('submit').disabled = false;
        $('code').value = '';
      }
    }

    async function logout() {
      const refresh = sessionStorage.getItem('kangqiao.refresh');
      if (refresh) {
        await fetch('/auth/revoke', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                                      body: 'token=' + encodeURIComponent(refresh) }).catch(() => {});
      }
      sessionStorage.removeItem('kangqiao.token');
      sessionStorage.removeItem('kangqiao.refresh');
      show('signed-in', false);
      show('login', true);
    }

    document.addEventListener('DOMContentLoaded', () => {
      $('login').addEventListener('submit', submit);
      $('logout').addEventListener('click', logout);
    });
    """

    static let style = """
    :root { font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1d2b36; background: #f3f6f8; }
    main { max-width: 26rem; margin: 8vh auto; background: #fff; padding: 2rem 2.2rem; border-radius: 10px; box-shadow: 0 2px 14px rgba(0,0,0,.08); }
    h1 { margin: 0; color: #0b6e69; } h1 small, h2 small, label small, dt small { color: #6b7c88; font-weight: normal; font-size: .75em; }
    .sub { margin-top: .3rem; color: #6b7c88; }
    label { display: block; margin: 1rem 0 .2rem; }
    input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem; padding: .55rem .6rem; font-size: 1rem; border: 1px solid #c4d0d8; border-radius: 6px; }
    button { margin-top: 1.3rem; width: 100%; padding: .65rem; font-size: 1rem; color: #fff; background: #0b6e69; border: 0; border-radius: 6px; cursor: pointer; }
    button:disabled { opacity: .6; }
    #error { color: #b3261e; margin-top: 1rem; }
    .note { color: #8a5a00; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .4rem 1rem; } dd { margin: 0; word-break: break-all; }
    #restrictions li { color: #8a5a00; }
    """
}
