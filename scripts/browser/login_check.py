#!/usr/bin/env python3
"""The sign-in page in headless Chromium (issue 5: the person login a web page uses).

Usage: login_check.py BASE_URL LOGINS_FILE
LOGINS_FILE is what `kangqiao demo` printed: each login's name, password and otpauth:// secret.
Checks: a doctor signs in with password and the current code and sees their roles, scopes and own
Practitioner; a wrong code is refused with a message and no token; the page sends no inline script
(the Content-Security-Policy forbids it) and signing out forgets the token.
"""
import base64, hashlib, hmac, re, struct, sys, time, urllib.parse
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support import expected_conditions as EC


def totp(secret_b32: str, at: float) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def logins(path: str) -> dict:
    found, name = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s+(\S+)\s+password: (\S+)", line)
        if m:
            name = m.group(1)
            found[name] = {"password": m.group(2)}
            continue
        m = re.search(r"otpauth://\S+", line)
        if m and name:
            query = urllib.parse.parse_qs(urllib.parse.urlparse(m.group(0)).query)
            found[name]["secret"] = query["secret"][0]
    return found


def main() -> int:
    base, path = sys.argv[1], sys.argv[2]
    accounts = logins(path)
    doctor = accounts["doctor"]
    options = webdriver.ChromeOptions()
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1000,900"]:
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    failures = []

    def check(ok, what):
        print(("PASS " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    try:
        wait = WebDriverWait(driver, 15)
        driver.get(base + "/login")
        check("康桥" in driver.title, "the sign-in page loads")

        # A wrong code: refused, a message, no token kept.
        driver.find_element(By.ID, "username").send_keys("doctor")
        driver.find_element(By.ID, "password").send_keys(doctor["password"])
        wrong = f"{(int(totp(doctor['secret'], time.time())) + 1) % 1_000_000:06d}"
        driver.find_element(By.ID, "code").send_keys(wrong)
        driver.find_element(By.ID, "submit").click()
        error = wait.until(EC.visibility_of_element_located((By.ID, "error")))
        check("验证码错误" in error.text or "wrong name" in error.text, f"a wrong code is refused with a message ({error.text!r})")
        check(driver.execute_script("return sessionStorage.getItem('kangqiao.token')") is None, "no token is kept after a refusal")

        # The right code; near the end of a 30 s step, wait for the next one so it is still valid on arrival.
        if time.time() % 30 > 27:
            time.sleep(30 - time.time() % 30 + 0.5)
        code = driver.find_element(By.ID, "code")
        code.clear()
        code.send_keys(totp(doctor["secret"], time.time()))
        driver.find_element(By.ID, "submit").click()
        wait.until(EC.visibility_of_element_located((By.ID, "signed-in")))
        wait.until(lambda d: "Practitioner/" in d.find_element(By.ID, "record").text)
        check(driver.find_element(By.ID, "roles").text == "doctor", "the doctor's role is shown")
        check("user/*.cruds" in driver.find_element(By.ID, "scopes").text, "the granted scopes are shown (R-IH-5: nothing withheld)")
        record = driver.find_element(By.ID, "record").text
        check(re.search(r"[\u4e00-\u9fff]", record) is not None, f"the doctor's own Practitioner is read with the token ({record!r})")
        token = driver.execute_script("return sessionStorage.getItem('kangqiao.token')")
        check(token is not None and token.count(".") == 2, "the access token is kept in the tab's session storage")

        # No inline script ran or was blocked: the page is built for its Content-Security-Policy.
        violations = [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
        check(not violations, f"no Content-Security-Policy violations ({violations[:1]})")

        driver.find_element(By.ID, "logout").click()
        wait.until(EC.visibility_of_element_located((By.ID, "login")))
        check(driver.execute_script("return sessionStorage.getItem('kangqiao.token')") is None, "signing out forgets the token")
    finally:
        driver.quit()
    print(f"{0 if failures else 'all'} browser checks {'failed: ' + str(len(failures)) if failures else 'ok'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
