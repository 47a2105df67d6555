import Foundation
import Testing

/// The "Conectar WhatsApp" page (issue #6) in a real headless Chromium on a phone-sized window, against the real
/// stack: nginx serving `nginx/html` and `/api/`, the responder, PostgreSQL and evolution-sim.
///
/// Each state the user sees is saved as a screenshot in `.build/test-artifacts/browser/` (the test output names each
/// file on a `browser screenshot:` line).
@Suite("The web page in a browser", .serialized)
final class BrowserFlowTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let expiredMessage = "Token de autenticação expirado."
    private static let invalidMessage = "Token de autenticação inválido."
    private static let upstreamErrorMessage = "A API do WhatsApp retornou um erro."
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("web")
    private var instance: String { TestWhatsAppStack.instanceName(of: tenant) }
    private var browserIfStarted: WebDriver?

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        // As scripts/run serves the page: Evolution's webhooks and the live event stream on.
        stack = try TestWhatsAppStack.start(sim: sim, label: "browser", webhooks: true, events: true)
        try stack.insertTenant(tenant)
    }

    deinit {
        browserIfStarted?.quit()
        stack.stop()
    }

    /// The browser, started on first use (the header tests need none).
    private func browser() throws -> WebDriver {
        if let browserIfStarted { return browserIfStarted }
        let started = try WebDriver.start()
        browserIfStarted = started
        return started
    }

    /// `http://127.0.0.1:<port>/` with `fragment` (a `#token=` link, as `scripts/run` prints).
    private func pageURL(fragment: String = "") -> String { "http://127.0.0.1:\(stack.nginx.port)/\(fragment)" }

    /// Opens the page with `token` in the fragment.
    private func openPage(token: String) throws -> WebDriver {
        let browser = try browser()
        try browser.navigate(to: pageURL(fragment: "#token=\(token)"))
        return browser
    }

    /// The requests nginx logged for this tenant's `route` (JSON access-log lines), in order.
    private func loggedRequests(route: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: stack.directory.appendingPathComponent("access.log"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["uri"] as? String == "/api/tenants/\(tenant)/whatsapp/\(route)" ? object : nil
        }
    }

    /// Fails on anything the browser reported as SEVERE: a JavaScript error, a refused resource, a CSP violation.
    private func expectACleanConsole(_ browser: WebDriver, allowing allowed: [String] = []) throws {
        let severe = try browser.browserLog().filter { entry in
            guard entry["level"] as? String == "SEVERE" else { return false }
            let message = entry["message"] as? String ?? ""
            return !allowed.contains { message.contains($0) }
        }
        #expect(severe.isEmpty, "\(severe)")
    }

    // MARK: - The whole flow

    @Test func aPhoneConnectsScansAndDisconnectsThroughThePage() throws {
        let token = TestWhatsAppStack.token(for: tenant)
        let browser = try openPage(token: token)

        // The start: the tenant from the token, the connect button, and the token gone from the address bar.
        let connectButton = try browser.waitUntilText("#connect-button", is: "Conectar WhatsApp")
        #expect(try browser.text(of: browser.element("#tenant-name")) == tenant)
        let address = try browser.currentURL()
        #expect(!address.contains("token") && !address.contains(token), "\(address)")
        #expect(try browser.title() == "Conectar WhatsApp")
        try browser.saveScreenshot(named: "01-start")

        // "Conectar WhatsApp" → the QR code as an image, with the instructions; focus moves to the QR heading.
        try browser.click(connectButton)
        let qrImage = try browser.waitUntilDisplayed("#qr-image") {
            try browser.attribute("src", of: $0)?.hasPrefix("data:image/png;base64,") == true
        }
        #expect(try !(browser.attribute("alt", of: qrImage) ?? "").isEmpty)
        let instructions = try browser.text(of: browser.element("#qr-view"))
        #expect(instructions.contains("Aparelhos conectados") && instructions.contains("Conectar um aparelho"))
        #expect(try browser.activeElement() == browser.element("#qr-heading"))
        try browser.saveScreenshot(named: "02-qr-code")

        // A QR code Evolution rotated: "Gerar novo QR Code" calls connect again and shows the new one.
        let firstQRCode = try browser.attribute("src", of: qrImage)
        try sim.rotateQRCode(instance: instance)
        try browser.click(browser.element("#refresh-button"))
        try browser.waitUntilDisplayed("#qr-image") {
            let source = try browser.attribute("src", of: $0)
            return source != firstQRCode && source?.hasPrefix("data:image/png;base64,") == true
        }

        // The phone scans it → "Conectado" with the instance name, pushed through the event stream (or found by the
        // page's polling, every 5 s, where that is unavailable): up to 15 s, so that a busy machine cannot fail it.
        try sim.scan(instance: instance)
        try browser.waitUntilText("#connected-heading", is: "Conectado", timeoutSeconds: 15)
        #expect(try browser.text(of: browser.element("#instance-name")) == instance)
        #expect(try !browser.isDisplayed(browser.element("#qr-view")))
        try browser.saveScreenshot(named: "03-connected")

        // "Desconectar" → back to the connect button; the instance is gone upstream and its name cleared.
        try browser.click(browser.element("#disconnect-button"))
        try browser.waitUntilText("#connect-button", is: "Conectar WhatsApp")
        #expect(try browser.text(of: browser.element("#status")) == WhatsAppExpectations.disconnectedMessage)
        #expect(try browser.activeElement() == browser.element("#connect-button"))
        #expect(try stack.storedInstanceName(of: tenant) == nil)
        #expect(try !sim.instanceExists(instance))
        try browser.saveScreenshot(named: "04-disconnected")

        try expectACleanConsole(browser)
        // The fragment never reaches the server: no log line anywhere holds the token.
        #expect(!stack.allLogText().contains(token))
        #expect(try loggedRequests(route: "disconnect").count == 1)
    }

    @Test func aScanShowsTheNameAndMaskedNumberAndALogoutFromThePhoneShowsWhy() throws {
        let browser = try openPage(token: TestWhatsAppStack.token(for: tenant))
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilDisplayed("#qr-image")

        // The phone scans: the page names the account, its number masked (issue 24, docs/web-page.md).
        try sim.scan(instance: instance, number: "5511987654321", profileName: "Loja Centro")
        try browser.waitUntilText(
            "#account-line", is: "Conectado como Loja Centro (+55 11 9····-4321)", timeoutSeconds: 15)
        #expect(try !browser.text(of: browser.element("main")).contains("987654321"))
        try browser.saveScreenshot(named: "24-connected-account")

        // Logged out from the phone: the connect button again, with why.
        try sim.control("POST", "/instances/\(instance)/drop", json: #"{"statusReason":401}"#)
        let loggedOut = "Seu WhatsApp foi desconectado pelo celular."
        try browser.waitUntilText("#disconnection-reason", is: loggedOut, timeoutSeconds: 15)
        #expect(try browser.isDisplayed(browser.element("#connect-button")))
        try browser.saveScreenshot(named: "25-logged-out")

        // A new visit learns it from status alone.
        try browser.navigate(to: pageURL(fragment: "#token=\(TestWhatsAppStack.token(for: tenant))"))
        try browser.waitUntilText("#disconnection-reason", is: loggedOut)
        try expectACleanConsole(browser)
    }

    @Test func aQRCodeThatIsNotReadyIsAskedForAgainAfterRetryAfter() throws {
        // Evolution keeps answering {"count":0}: connect answers 202 with Retry-After, the page waits and asks again.
        try sim.updateSettings(#"{"qrPendingAnswers":1000}"#)
        let browser = try openPage(token: TestWhatsAppStack.token(for: tenant))
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilText("#qr-pending", is: "Gerando QR Code…")
        // The stack's QR wait is 4 s: five times that.
        // Asked again after Retry-After (3 s): two 202s, each after the stack's QR wait of 4 s; five times that.
        try Wait.until("connect answered 202 twice", timeoutSeconds: 40, pollMilliseconds: 100) {
            try loggedRequests(route: "connect").filter { $0["status"] as? Int == 202 }.count >= 2
        }
        #expect(try !browser.isDisplayed(browser.element("#qr-image")))
        try browser.saveScreenshot(named: "05-qr-pending")

        // The QR code arrives upstream: pushed through the event stream (or the next connect) shows it.
        try sim.rotateQRCode(instance: instance)
        try browser.waitUntilDisplayed("#qr-image", timeoutSeconds: 15) {
            try browser.attribute("src", of: $0)?.hasPrefix("data:image/png;base64,") == true
        }
        let statuses = try loggedRequests(route: "connect").compactMap { $0["status"] as? Int }
        #expect(statuses.first == 202, "\(statuses)")
        #expect(try browser.text(of: browser.element("#alert")).isEmpty)
        try expectACleanConsole(browser)
    }

    @Test func withTheSimulatorsAutoScanTheFlowCompletesByItself() throws {
        // The demo of `SIM_AUTO_SCAN_SECONDS=10 scripts/run`, with 2 s: nobody touches the simulator.
        try sim.updateSettings(#"{"autoScanSeconds":2}"#)
        let browser = try openPage(token: TestWhatsAppStack.token(for: tenant))
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilDisplayed("#qr-image")
        // The scan after 2 s, then the page's next poll (every 3 s): up to 5 s, waited for five times that.
        try browser.waitUntilText("#connected-heading", is: "Conectado", timeoutSeconds: 25)
        #expect(try browser.text(of: browser.element("#instance-name")) == instance)
        try expectACleanConsole(browser)
    }

    // MARK: - Connecting with a phone number (issue #13)

    private static let pairingNumber = "5511987654321"
    private static let invalidNumberMessage =
        "Número de telefone inválido. Informe apenas dígitos, com código do país e DDD (de 10 a 15 dígitos, sem +, "
        + "espaços ou traços)."

    /// Opens the page, clicks "Conectar WhatsApp" and waits for the QR code, under which the number form is.
    private func openQRView() throws -> WebDriver {
        let browser = try openPage(token: TestWhatsAppStack.token(for: tenant))
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilDisplayed("#qr-image")
        return browser
    }

    /// Whether `text` is a pairing code as the page shows it: `ABCD-EFGH`.
    private static func isPairingCode(_ text: String?) -> Bool {
        text?.range(of: "^[A-Z0-9]{4}-[A-Z0-9]{4}$", options: .regularExpression) != nil
    }

    @Test func aPhoneConnectsWithAPairingCodeThroughThePage() throws {
        let browser = try openQRView()
        // Both ways are offered: the QR code, and the number form under it.
        #expect(try browser.text(of: browser.element("#pairing-form-heading")) == "Conectar com número de telefone")
        try browser.type(Self.pairingNumber, into: browser.element("#pairing-number"))
        try browser.saveScreenshot(named: "08-pairing-number")
        try browser.click(browser.element("#pairing-submit"))

        // The code in large type, the steps, the number's last four digits; focus on the view's heading.
        let code = try browser.waitUntilDisplayed("#pairing-code") { Self.isPairingCode(try browser.text(of: $0)) }
        let firstCode = try browser.text(of: code)
        let fontSize = try browser.cssValue("font-size", of: code)
        #expect((Double(fontSize.replacingOccurrences(of: "px", with: "")) ?? 0) >= 32, "\(fontSize)")
        let steps = try browser.text(of: browser.element("#pairing-view"))
        for step in ["Aparelhos conectados", "Conectar um aparelho", "Conectar com número de telefone"] {
            #expect(steps.contains(step), "\(step)")
        }
        #expect(try browser.text(of: browser.element("#pairing-number-end")) == "4321")
        #expect(try browser.activeElement() == browser.element("#pairing-heading"))
        #expect(try !browser.isDisplayed(browser.element("#qr-view")))
        #expect(try browser.property("value", of: browser.element("#pairing-number")) as? String == "")
        try browser.saveScreenshot(named: "09-pairing-code")

        // "Gerar novo código": connect again with the number, a new code.
        try browser.click(browser.element("#pairing-refresh-button"))
        try browser.waitUntilDisplayed("#pairing-code") {
            let text = try browser.text(of: $0)
            return Self.isPairingCode(text) && text != firstCode
        }

        // The phone enters the code → "Conectado", pushed through the event stream.
        try sim.scan(instance: instance)
        try browser.waitUntilText("#connected-heading", is: "Conectado", timeoutSeconds: 15)
        #expect(try browser.text(of: browser.element("#instance-name")) == instance)
        #expect(try !browser.isDisplayed(browser.element("#pairing-view")))

        try expectACleanConsole(browser)
        // QR connect, then two with the number (in the body, which nginx never logs); no log holds the number.
        let statuses = try loggedRequests(route: "connect").compactMap { $0["status"] as? Int }
        #expect(statuses == [201, 200, 200], "\(statuses)")
        #expect(!stack.allLogText().contains(Self.pairingNumber))
        #expect(try !(stack.tenantRowText(tenant) ?? "").contains(Self.pairingNumber))
    }

    @Test func aNumberWithSignsOrSpacesIsRefusedWithTheServersMessageAndNothingSent() throws {
        let browser = try openQRView()
        let field = try browser.element("#pairing-number")
        try browser.type("+55 (11) 9876", into: field)
        try browser.click(browser.element("#pairing-submit"))

        try browser.waitUntilText("#alert", is: Self.invalidNumberMessage)
        #expect(try browser.activeElement() == field)
        #expect(try browser.attribute("aria-invalid", of: field) == "true")
        #expect(try browser.text(of: browser.element("#pairing-number-error")) == Self.invalidNumberMessage)
        #expect(try browser.isDisplayed(browser.element("#qr-image")), "the QR code stays")
        #expect(try loggedRequests(route: "connect").count == 1, "only the QR code's connect")
        try browser.saveScreenshot(named: "10-pairing-number-refused")

        // "Voltar ao QR Code" from the pairing view: a valid number, then back.
        try browser.type(String(repeating: "\u{E003}", count: 15) + Self.pairingNumber, into: field)
        try browser.click(browser.element("#pairing-submit"))
        try browser.waitUntilDisplayed("#pairing-code") { Self.isPairingCode(try browser.text(of: $0)) }
        #expect(try browser.text(of: browser.element("#alert")).isEmpty)
        try browser.click(browser.element("#pairing-back-button"))
        try browser.waitUntilDisplayed("#qr-image") {
            try browser.attribute("src", of: $0)?.hasPrefix("data:image/png;base64,") == true
        }
        #expect(try browser.text(of: browser.element("#pairing-number-error")).isEmpty)
        #expect(try browser.attribute("aria-invalid", of: field) == nil)
        try expectACleanConsole(browser)
    }

    // MARK: - Errors

    @Test func anExpiredTokenShowsTheServersMessage() throws {
        let now = TestTokens.now
        let expired = TestTokens.token(
            payload: TestTokens.claims(tenantID: tenant, iat: String(now - 7200), exp: String(now - 3600)))
        let browser = try openPage(token: expired)

        try browser.waitUntilText("#alert", is: Self.expiredMessage)
        #expect(try browser.isDisplayed(browser.element("#token-input")))
        #expect(try !browser.isDisplayed(browser.element("#connect-button")))
        #expect(try browser.text(of: browser.element("#tenant-name")) == tenant)
        #expect(try browser.attribute("role", of: browser.element("#alert")) == "alert")
        try browser.saveScreenshot(named: "06-token-expired")
        // The 401 of the status check is the only thing the console may report.
        try expectACleanConsole(browser, allowing: ["401"])
    }

    @Test func aTokenPastedInTheFieldIsCheckedByTheServer() throws {
        let browser = try browser()
        try browser.navigate(to: pageURL())
        let field = try browser.waitUntilDisplayed("#token-input")
        #expect(try browser.attribute("id", of: browser.activeElement()) != "token-input", "no focus theft on load")
        try browser.saveScreenshot(named: "00-token-form")

        // A token signed with another key: the server's invalid_token message, and the field again.
        let forged = TestTokens.token(
            payload: TestTokens.claims(tenantID: tenant), secret: "another-secret-0123456789abcdef0123")
        try browser.type(forged, into: field)
        try browser.click(browser.element("#token-form button[type=submit]"))
        try browser.waitUntilText("#alert", is: Self.invalidMessage)
        #expect(try browser.activeElement() == field)

        // The right token: the connect button, and the error gone.
        try browser.type(TestWhatsAppStack.token(for: tenant), into: field)
        try browser.click(browser.element("#token-form button[type=submit]"))
        try browser.waitUntilText("#connect-button", is: "Conectar WhatsApp")
        #expect(try browser.text(of: browser.element("#alert")).isEmpty)
        #expect(try browser.property("value", of: field) as? String == "", "the field keeps no token")
        try expectACleanConsole(browser, allowing: ["401"])
    }

    @Test func anUpstreamFailureShowsTheEnvelopesMessageAndTheButtonAgain() throws {
        try sim.inject(#"{"route":"create","status":500,"times":1}"#)
        let browser = try openPage(token: TestWhatsAppStack.token(for: tenant))
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))

        try browser.waitUntilText("#alert", is: Self.upstreamErrorMessage)
        let button = try browser.waitUntilDisplayed("#connect-button")
        #expect(try browser.isEnabled(button))
        #expect(try !browser.isDisplayed(browser.element("#qr-view")))
        try browser.saveScreenshot(named: "07-upstream-error")

        // The fault was for one call: trying again works.
        try browser.click(button)
        try browser.waitUntilDisplayed("#qr-image") {
            try browser.attribute("src", of: $0)?.hasPrefix("data:image/png;base64,") == true
        }
        #expect(try browser.text(of: browser.element("#alert")).isEmpty)
        try expectACleanConsole(browser, allowing: ["502"])
    }

    // MARK: - What nginx serves

    @Test(arguments: ["/", "/index.html", "/app.js", "/app.css"])
    func thePageIsServedWithItsSecurityHeaders(path: String) throws {
        let response = try stack.nginx.send("GET", path)
        #expect(response.status == 200)
        #expect(
            response.headers["content-security-policy"]
                == "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
        #expect(response.headers["x-content-type-options"] == "nosniff")
        #expect(response.headers["referrer-policy"] == "no-referrer")
        let expectedType =
            switch path {
            case "/app.js": "text/javascript; charset=utf-8"
            case "/app.css": "text/css; charset=utf-8"
            default: "text/html; charset=utf-8"
            }
        #expect(response.headers["content-type"] == expectedType)
    }

    @Test func theAPIKeepsItsOwnHeadersAndUnknownPagesGetTheJSONEnvelope() throws {
        let health = try stack.nginx.send("GET", "/api/health")
        #expect(health.status == 200 && health.text == #"{"status":"ok"}"#)
        #expect(health.headers["content-security-policy"] == nil)

        let unknown = try stack.nginx.send("GET", "/nope.html")
        WhatsAppExpectations.expectError(unknown, status: 404, code: "not_found")
        let posted = try stack.nginx.send("POST", "/", body: Data("{}".utf8))
        WhatsAppExpectations.expectError(posted, status: 405, code: "method_not_allowed")
    }

    @Test func thePageHasNoInlineScriptOrStyle() throws {
        let html = try stack.nginx.send("GET", "/").text
        #expect(!html.contains("<style"))
        #expect(!html.contains(" style="))
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil, "no inline event handler")
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 1 && scripts.allSatisfy { $0.hasPrefix(#" src="app.js""#) }, "\(scripts)")
    }
}
