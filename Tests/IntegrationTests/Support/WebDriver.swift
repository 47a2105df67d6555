import Foundation
import Testing

/// A headless Chromium driven by Debian's `chromedriver` over the W3C WebDriver protocol: JSON over plain HTTP on a
/// free loopback port (no Selenium, no new dependency).
///
/// ``start(windowWidth:windowHeight:)`` starts chromedriver and opens one browser session with a phone-sized window;
/// ``quit()`` closes the browser (DELETE session), stops chromedriver and removes the scratch folder with the
/// browser profile. Elements are found by CSS selector and are valid as long as they stay in the page.
final class WebDriver: @unchecked Sendable {
    /// Debian's `chromium-driver` and `chromium`.
    static let chromedriverPath = "/usr/bin/chromedriver"
    static let chromiumPath = "/usr/bin/chromium"
    /// W3C's key of an element reference in JSON.
    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let port: Int
    let directory: URL
    private let process: ChromedriverProcess
    private let sessionID: String
    private let lock = NSLock()
    private var stopped = false

    private init(port: Int, directory: URL, process: ChromedriverProcess, sessionID: String) {
        self.port = port
        self.directory = directory
        self.process = process
        self.sessionID = sessionID
    }

    /// Whether chromedriver and Chromium are installed (`scripts/test` installs them).
    static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: chromedriverPath)
            && FileManager.default.isExecutableFile(atPath: chromiumPath)
    }

    /// Starts chromedriver on a free loopback port and opens a headless browser session with a window of the given
    /// size (CSS pixels; the default is a 412 × 915 phone).
    static func start(windowWidth: Int = 412, windowHeight: Int = 915) throws -> WebDriver {
        guard isInstalled else {
            throw TestFailure(
                "\(chromedriverPath) or \(chromiumPath) is missing: apt-get install chromium chromium-driver")
        }
        let directory = try TestEnvironment.makeScratchDirectory("browser")
        let port = try TestEnvironment.freeLoopbackPort()
        let process: ChromedriverProcess
        do {
            // Without --allowed-ips chromedriver accepts local connections only (it binds 127.0.0.1 and ::1). Its
            // command line names the scratch folder (--log-path), as the browser's does (--user-data-dir): a
            // clean-up after a killed test run finds both by it.
            process = try ChromedriverProcess(
                arguments: [
                    chromedriverPath, "--port=\(port)",
                    "--log-path=\(directory.appendingPathComponent("chromedriver.log").path)",
                ],
                outputFile: directory.appendingPathComponent("chromedriver.out").path)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        do {
            try Wait.until("chromedriver answers on 127.0.0.1:\(port)", pollMilliseconds: 50) {
                guard process.isRunning else { throw TestFailure("chromedriver exited") }
                let status = try? command(port: port, "GET", "/status", nil, timeoutSeconds: 2)
                return (status as? [String: Any])?["ready"] as? Bool == true
            }
            let sessionID = try openSession(
                port: port, profile: directory.appendingPathComponent("profile"), width: windowWidth,
                height: windowHeight)
            return WebDriver(port: port, directory: directory, process: process, sessionID: sessionID)
        } catch {
            process.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private static func openSession(port: Int, profile: URL, width: Int, height: Int) throws -> String {
        let arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=\(width),\(height)",
            "--user-data-dir=\(profile.path)", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--no-proxy-server", "--lang=pt-BR",
        ]
        // Headless Chromium keeps a window at least 500 px wide: the phone's viewport (412 × 915 CSS pixels, a
        // device pixel ratio of 2, touch, the mobile viewport meta honoured) comes from mobile emulation.
        let phone: [String: Any] = [
            "deviceMetrics": ["width": width, "height": height, "pixelRatio": 2, "touch": true, "mobile": true]
        ]
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": ["binary": chromiumPath, "args": arguments, "mobileEmulation": phone],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ]
            ]
        ]
        let value = try command(port: port, "POST", "/session", capabilities)
        guard let object = value as? [String: Any], let sessionID = object["sessionId"] as? String else {
            throw TestFailure("chromedriver opened no session: \(String(describing: value))")
        }
        return sessionID
    }

    // MARK: - The protocol

    /// Sends one WebDriver command and returns its `value`; a W3C error (`{"value":{"error":…}}`) throws.
    private static func command(
        port: Int, _ method: String, _ path: String, _ body: Any?, timeoutSeconds: Int = 60
    ) throws -> Any? {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let response = try TestHTTPClient.send(
            port: port, method: method, path: path,
            headers: data == nil ? [] : [("Content-Type", "application/json; charset=utf-8")], body: data,
            timeoutSeconds: timeoutSeconds)
        let object = try response.jsonObject()
        let value = object["value"]
        if response.status != 200 {
            let error = value as? [String: Any]
            throw WebDriverError(
                status: response.status, error: error?["error"] as? String ?? "unknown error",
                message: error?["message"] as? String ?? response.text, command: "\(method) \(path)")
        }
        return value is NSNull ? nil : value
    }

    @discardableResult
    private func session(_ method: String, _ path: String, _ body: Any? = nil) throws -> Any? {
        try Self.command(port: port, method, "/session/\(sessionID)\(path)", body ?? (method == "POST" ? [:] : nil))
    }

    // MARK: - Navigation

    /// Opens `url` and waits for the page to load (WebDriver's `pageLoadStrategy` normal).
    func navigate(to url: String) throws { try session("POST", "/url", ["url": url]) }

    /// The address in the address bar now.
    func currentURL() throws -> String { try session("GET", "/url") as? String ?? "" }

    /// The page's title.
    func title() throws -> String { try session("GET", "/title") as? String ?? "" }

    // MARK: - Elements

    /// The first element matching `selector`; throws `no such element` when none does.
    func element(_ selector: String) throws -> WebElement {
        let value = try session("POST", "/element", ["using": "css selector", "value": selector])
        guard let reference = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw TestFailure("no element reference for \(selector): \(String(describing: value))")
        }
        return WebElement(id: reference, selector: selector)
    }

    /// Every element matching `selector`, in document order.
    func elements(_ selector: String) throws -> [WebElement] {
        let value = try session("POST", "/elements", ["using": "css selector", "value": selector])
        return ((value as? [[String: Any]]) ?? []).compactMap {
            ($0[Self.elementKey] as? String).map { WebElement(id: $0, selector: selector) }
        }
    }

    /// The element that has the keyboard focus.
    func activeElement() throws -> WebElement {
        let value = try session("GET", "/element/active")
        guard let reference = (value as? [String: Any])?[Self.elementKey] as? String else {
            throw TestFailure("no active element: \(String(describing: value))")
        }
        return WebElement(id: reference, selector: "(active element)")
    }

    /// Clicks `element` as a user would (it must be displayed and not covered).
    func click(_ element: WebElement) throws { try session("POST", "/element/\(element.id)/click") }

    /// Types `text` into `element`.
    func type(_ text: String, into element: WebElement) throws {
        try session("POST", "/element/\(element.id)/value", ["text": text])
    }

    /// The element's rendered text (empty while it is hidden).
    func text(of element: WebElement) throws -> String {
        try session("GET", "/element/\(element.id)/text") as? String ?? ""
    }

    /// The element's attribute `name`, or nil when it has none.
    func attribute(_ name: String, of element: WebElement) throws -> String? {
        try session("GET", "/element/\(element.id)/attribute/\(name)") as? String
    }

    /// The element's DOM property `name` (a form field's current `value`, say), as JSON gives it.
    func property(_ name: String, of element: WebElement) throws -> Any? {
        try session("GET", "/element/\(element.id)/property/\(name)")
    }

    /// Whether the element is rendered visibly (not `hidden`, not `display: none`).
    func isDisplayed(_ element: WebElement) throws -> Bool {
        try session("GET", "/element/\(element.id)/displayed") as? Bool ?? false
    }

    /// Whether the element is enabled (a button that is not `disabled`).
    func isEnabled(_ element: WebElement) throws -> Bool {
        try session("GET", "/element/\(element.id)/enabled") as? Bool ?? false
    }

    /// The element's computed CSS property `name`.
    func cssValue(_ name: String, of element: WebElement) throws -> String {
        try session("GET", "/element/\(element.id)/css/\(name)") as? String ?? ""
    }

    /// Waits until the element matching `selector` is displayed and `condition` holds for it, and returns it.
    ///
    /// The page changes on its own (answers, timers): this polls every 100 ms until `timeoutSeconds`.
    @discardableResult
    func waitUntilDisplayed(
        _ selector: String, timeoutSeconds: Double = 10, _ condition: (WebElement) throws -> Bool = { _ in true }
    ) throws -> WebElement {
        let element = try element(selector)
        try Wait.until("\(selector) is displayed", timeoutSeconds: timeoutSeconds, pollMilliseconds: 100) {
            try isDisplayed(element) && condition(element)
        }
        return element
    }

    /// Waits until the element matching `selector` shows exactly `text`.
    @discardableResult
    func waitUntilText(_ selector: String, is text: String, timeoutSeconds: Double = 10) throws -> WebElement {
        try waitUntilDisplayed(selector, timeoutSeconds: timeoutSeconds) { try self.text(of: $0) == text }
    }

    // MARK: - Screenshots and logs

    /// A PNG of the viewport.
    func screenshot() throws -> Data {
        guard let base64 = try session("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw TestFailure("chromedriver returned no screenshot")
        }
        return data
    }

    /// Where ``saveScreenshot(named:)`` writes: `.build/test-artifacts/browser/` in the package (git-ignored).
    static let artifactsDirectory = TestEnvironment.packageRoot.appendingPathComponent(
        ".build/test-artifacts/browser", isDirectory: true)

    /// Takes a screenshot, writes it to ``artifactsDirectory`` as `name`.png, attaches it to the running test and
    /// prints its path (one `browser screenshot: <path>` line in the test output). Returns the file.
    @discardableResult
    func saveScreenshot(named name: String) throws -> URL {
        let png = try screenshot()
        try FileManager.default.createDirectory(at: Self.artifactsDirectory, withIntermediateDirectories: true)
        let file = Self.artifactsDirectory.appendingPathComponent("\(name).png")
        try png.write(to: file)
        Attachment.record(png, named: "\(name).png")
        print("browser screenshot: \(file.path)")
        return file
    }

    /// The browser's console and network log since the last call (chromedriver's `goog:loggingPrefs` log):
    /// JavaScript errors, refused resources and Content-Security-Policy violations are `SEVERE` entries.
    func browserLog() throws -> [[String: Any]] {
        try session("POST", "/se/log", ["type": "browser"]) as? [[String: Any]] ?? []
    }

    // MARK: - Stop

    /// Closes the browser, stops chromedriver and removes the scratch folder; safe to call twice.
    func quit() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        // DELETE session closes Chromium and its helpers (chromedriver waits for them); then chromedriver itself.
        _ = try? session("DELETE", "")
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        quit()
    }
}

/// A reference to an element of the page (W3C's web element id), with the selector that found it for messages.
struct WebElement: Sendable, Equatable {
    let id: String
    let selector: String

    static func == (lhs: WebElement, rhs: WebElement) -> Bool { lhs.id == rhs.id }
}

/// A WebDriver command that chromedriver answered with a W3C error.
struct WebDriverError: Error, CustomStringConvertible {
    let status: Int
    /// W3C's error code: `no such element`, `element not interactable`, `stale element reference`…
    let error: String
    let message: String
    let command: String

    var description: String { "\(command) → \(status) \(error): \(message)" }
}
