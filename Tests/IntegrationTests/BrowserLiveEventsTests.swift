import Foundation
import Testing

/// The web page on the live event stream (issue 20, item 5; docs/events.md, "The page") in a real headless Chromium:
/// the scan shows "Conectado" through the stream with no `GET status` after the stream opened; with the events
/// location answering 502 the page falls back to polling and still gets there.
@Suite("The web page on live events", .serialized)
final class BrowserLiveEventsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("webev")
    private var instance: String { TestWhatsAppStack.instanceName(of: tenant) }
    private var browserIfStarted: WebDriver?

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "browser_events", webhooks: true, events: true)
        try stack.insertTenant(tenant)
    }

    deinit {
        browserIfStarted?.quit()
        stack.stop()
    }

    private var publishSocket: String { stack.directory.appendingPathComponent("nchan-publish.sock").path }

    private func openPage() throws -> WebDriver {
        let browser = try WebDriver.start()
        browserIfStarted = browser
        try browser.navigate(
            to: "http://127.0.0.1:\(stack.nginx.port)/#token=\(TestWhatsAppStack.token(for: tenant))")
        return browser
    }

    /// The lines of nginx's access log for this tenant's `route`.
    private func loggedRequests(route: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: stack.directory.appendingPathComponent("access.log"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["uri"] as? String == "/api/tenants/\(tenant)/whatsapp/\(route)" ? object : nil
        }
    }

    @Test func theScanShowsConnectedThroughTheStreamWithoutAnyStatusRequest() throws {
        let browser = try openPage()
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilDisplayed("#qr-image") {
            try browser.attribute("src", of: $0)?.hasPrefix("data:image/png;base64,") == true
        }
        try Wait.until("the page's stream is subscribed") {
            try NchanChannel.subscribers(of: tenant, publishSocket: publishSocket) >= 1
        }
        let statusCallsBefore = try loggedRequests(route: "status").count

        try sim.scan(instance: instance)
        try browser.waitUntilText("#connected-heading", is: "Conectado", timeoutSeconds: 5)
        #expect(try browser.text(of: browser.element("#instance-name")) == instance)
        try browser.saveScreenshot(named: "20-connected-by-event")

        #expect(try loggedRequests(route: "status").count == statusCallsBefore)
        let severe = try browser.browserLog().filter { $0["level"] as? String == "SEVERE" }
        #expect(severe.isEmpty, "\(severe)")
    }

    @Test func withTheEventsLocationAnswering502ThePageConnectsByPolling() throws {
        // The events location made to answer 502 (a proxy in front failing), nginx reloaded.
        let rendered = stack.directory.appendingPathComponent("tenant-whatsapp.events.locations.conf")
        var text = try String(contentsOf: rendered, encoding: .utf8)
        let opening = #"whatsapp/events$" {"#
        let range = try #require(text.range(of: opening), "no events location in \(rendered.path)")
        text.insert(contentsOf: "\n    return 502;", at: range.upperBound)
        try text.write(to: rendered, atomically: true, encoding: .utf8)
        try stack.nginx.reload()
        let ticket = try stack.eventsTicket(tenant: tenant)
        try Wait.until("the events location answers 502") {
            let stream = try stack.subscribe(tenant: tenant, ticket: ticket)
            return stream.status == 502
        }

        let browser = try openPage()
        try browser.click(browser.waitUntilText("#connect-button", is: "Conectar WhatsApp"))
        try browser.waitUntilDisplayed("#qr-image")
        try sim.scan(instance: instance)
        // The fallback polls every 5 s: up to two polls.
        try browser.waitUntilText("#connected-heading", is: "Conectado", timeoutSeconds: 12)
        #expect(try !loggedRequests(route: "status").isEmpty)
        #expect(try browser.text(of: browser.element("#alert")).isEmpty, "no alarming message")
        try browser.saveScreenshot(named: "21-connected-by-polling")
    }
}
