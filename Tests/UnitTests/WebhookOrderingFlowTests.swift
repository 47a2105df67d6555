import Runtime
import Testing

@testable import TenantWhatsApp

/// The ordering table of Evolution's webhook deliveries (docs/webhooks.md, "Order"), through the route's handler and
/// in-memory fakes: what a replayed, late, future-dated, undated or impossible delivery does, one from before the
/// instance, one from the previous instance of the same name, and deliveries from nodes whose clocks are twelve and
/// three hours behind, nine and fourteen hours ahead of UTC. The instance was created a minute before the kit's now.
///
/// | case | delivery | answer | row |
/// |---|---|---|---|
/// | replay | the previous instance's QR code, replayed with its token | 200 | no QR code |
/// | late | the previous instance's `open`, arriving late | 200 | still `connecting` |
/// | older than the instance | `close` dated five minutes before it was created or adopted | 200 | unchanged |
/// | newer instance, same name | the previous instance's `remove.instance` | 200 | name kept |
/// | future | year 9999; 15 h ahead | 400 `invalid_body`, no SQL | unchanged, later pushes apply |
/// | missing | no `date_time` | 400, no SQL | unchanged |
/// | impossible | Feb 30, hour 25, minute 61, second 60, year 0 | 400, no SQL | unchanged |
/// | far behind | 13 h behind | 400, no SQL | unchanged |
/// | UTC−12, UTC−3, UTC+9, UTC+14 nodes | every real delivery; a stale removal in the node's time | 200 | applied; name kept |
enum WebhookOrderingCase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case aReplayedQRCodeOfThePreviousInstanceIsNotShown
    case aLateOpenOfThePreviousInstanceDoesNotOpenTheNewOne
    case anEventDatedBeforeTheInstanceWasCreatedChangesNothing
    case theRemovalOfThePreviousInstanceKeepsTheNewOne
    case aDateInTheYear9999IsRefusedAndPinsNothing
    case aDateFifteenHoursAheadIsRefused
    case aDeliveryWithoutDateTimeIsRefused
    case anImpossibleDateTimeIsRefusedBeforeAnySQL
    case aDateThirteenHoursBehindIsRefused
    case aNodeTwelveHoursBehindUTCHasEveryRealDeliveryApplied
    case aNodeThreeHoursBehindUTCHasEveryRealDeliveryApplied
    case aNodeNineHoursAheadOfUTCHasEveryRealDeliveryApplied
    case aNodeFourteenHoursAheadOfUTCHasEveryRealDeliveryApplied

    var testDescription: String { rawValue }

    typealias Kit = WebhookTestKit

    /// Runs this case on a fresh kit.
    func run() throws {
        let kit = try Kit()
        let created = Kit.shifted(kit.now, by: -60)
        switch self {
        case .aReplayedQRCodeOfThePreviousInstanceIsNotShown:
            kit.seedInstance(.connecting, createdAt: created)
            let sent = Kit.shifted(created, by: -120)
            let answer = kit.deliver(
                "qrcode.updated", data: Kit.qrCode("previous"), dateTime: Kit.reading(sent), signedAt: sent)
            #expect(answer.status == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.qrCode == nil)
        case .aLateOpenOfThePreviousInstanceDoesNotOpenTheNewOne:
            kit.seedInstance(.connecting, createdAt: created)
            let sent = Kit.shifted(created, by: -30)
            let answer = kit.deliver(
                "connection.update", data: Kit.connection("open"), dateTime: Kit.reading(sent), signedAt: sent)
            #expect(answer.status == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.status == .connecting)
            #expect(kit.audit.rows.isEmpty)
        case .anEventDatedBeforeTheInstanceWasCreatedChangesNothing:
            kit.seedInstance(.open, createdAt: created)
            let sent = Kit.shifted(created, by: -300)
            let answer = kit.deliver(
                "connection.update", data: Kit.connection("close"), dateTime: Kit.reading(sent), signedAt: sent)
            #expect(answer.status == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.status == .open)
        case .theRemovalOfThePreviousInstanceKeepsTheNewOne:
            kit.seedInstance(.open, createdAt: created)
            let removed = Kit.shifted(created, by: -5)
            #expect(kit.deliver("remove.instance", dateTime: Kit.reading(removed), signedAt: removed).status == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.instanceName == Kit.instance)
            #expect(kit.audit.rows.isEmpty)
            // Its own removal, a moment ago, is applied.
            #expect(kit.deliver("remove.instance", dateTime: Kit.reading(kit.now)).status == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.instanceName == nil)
        case .aDateInTheYear9999IsRefusedAndPinsNothing:
            kit.seedInstance(.connecting, createdAt: created)
            Self.expectRefused(
                kit.deliver("connection.update", data: Kit.connection("close"), dateTime: "9999-12-31T23:59:59.999Z"),
                kit)
            #expect(
                kit.deliver("connection.update", data: Kit.connection("open"), dateTime: Kit.reading(kit.now)).status
                    == 200)
            #expect(kit.tenants.row(of: Kit.tenant)?.status == .open)
        case .aDateFifteenHoursAheadIsRefused:
            kit.seedInstance(.connecting, createdAt: created)
            let ahead = Kit.reading(Kit.shifted(kit.now, by: 15 * 3600))
            Self.expectRefused(kit.deliver("connection.update", data: Kit.connection("open"), dateTime: ahead), kit)
        case .aDeliveryWithoutDateTimeIsRefused:
            kit.seedInstance(.open, createdAt: created)
            Self.expectRefused(kit.deliver("remove.instance", dateTime: nil), kit)
            #expect(kit.tenants.row(of: Kit.tenant)?.instanceName == Kit.instance)
        case .anImpossibleDateTimeIsRefusedBeforeAnySQL:
            kit.seedInstance(.connecting, createdAt: created)
            for impossible in [
                "2026-02-30T10:00:00.000Z", "2026-02-30T25:61:61Z", "2026-12-06T25:00:00.000Z",
                "2026-12-06T10:61:00.000Z", "2026-12-06T23:59:60.000Z", "0000-12-06T10:00:00.000Z",
                "2026-13-06T10:00:00.000Z", "2026-12-06T10:00:00.000+00:00", "2026-12-06 10:00:00Z",
            ] {
                let answer = kit.deliver("connection.update", data: Kit.connection("open"), dateTime: impossible)
                #expect(answer.status == 400, "\(impossible)")
                #expect(answer.error == "invalid_body", "\(impossible)")
            }
            #expect(kit.tenants.calls.isEmpty)
            #expect(kit.tenants.row(of: Kit.tenant)?.status == .connecting)
        case .aDateThirteenHoursBehindIsRefused:
            kit.seedInstance(.connecting, createdAt: created)
            let behind = Kit.reading(Kit.shifted(kit.now, by: -13 * 3600))
            Self.expectRefused(kit.deliver("connection.update", data: Kit.connection("open"), dateTime: behind), kit)
        case .aNodeTwelveHoursBehindUTCHasEveryRealDeliveryApplied:
            try Self.runNode(kit, offsetMinutes: -720, server: Kit.s2, created: created)
        case .aNodeThreeHoursBehindUTCHasEveryRealDeliveryApplied:
            try Self.runNode(kit, offsetMinutes: -180, server: Kit.s1, created: created)
        case .aNodeNineHoursAheadOfUTCHasEveryRealDeliveryApplied:
            try Self.runNode(kit, offsetMinutes: 540, server: Kit.s2, created: created)
        case .aNodeFourteenHoursAheadOfUTCHasEveryRealDeliveryApplied:
            try Self.runNode(kit, offsetMinutes: 840, server: Kit.s1, created: created)
        }
    }

    /// 400 `invalid_body`, and not one statement run.
    private static func expectRefused(_ answer: RouteAnswer, _ kit: Kit) {
        #expect(answer.status == 400)
        #expect(answer.error == "invalid_body")
        #expect(kit.tenants.calls.isEmpty)
    }

    /// A node `offsetMinutes` east of UTC: its QR code, `open` and `close` (each stamped on its own clock and signed as
    /// it happens) are applied; the previous instance's removal, stamped on that clock before the instance was
    /// created, is not; the server's learned offset is the node's.
    private static func runNode(_ kit: Kit, offsetMinutes: Int, server: EvolutionServerID, created: Timestamp) throws {
        kit.seedInstance(.connecting, createdAt: created, on: server)
        func deliver(_ event: String, _ data: String = "null", at instant: Timestamp) -> RouteAnswer {
            kit.deliver(
                event, data: data, dateTime: Kit.reading(instant, offsetMinutes: offsetMinutes), signedAt: instant,
                server: server)
        }
        let times = (0..<4).map { Kit.shifted(kit.now, by: -3 + Int64($0)) }
        #expect(deliver("qrcode.updated", Kit.qrCode("node"), at: times[0]).status == 200)
        #expect(kit.tenants.row(of: Kit.tenant)?.qrCode == "data:image/png;base64,node")
        #expect(deliver("connection.update", Kit.connection("open"), at: times[1]).status == 200)
        #expect(kit.tenants.row(of: Kit.tenant)?.status == .open)
        #expect(deliver("remove.instance", at: Kit.shifted(created, by: -5)).status == 200)
        #expect(kit.tenants.row(of: Kit.tenant)?.instanceName == Kit.instance)
        #expect(deliver("connection.update", Kit.connection("close"), at: times[2]).status == 200)
        #expect(kit.tenants.row(of: Kit.tenant)?.status == .close)
        #expect(kit.clocks.learnedOffset(of: server) == EvolutionClockOffset(minutes: offsetMinutes))
        // The kit's close carries `statusReason` 200, a code with no reason of its own: `unknown`.
        #expect(kit.audit.rows.map(\.outcome) == ["open", "close:unknown"])
    }
}

@Suite("Webhook ordering")
struct WebhookOrderingFlowTests {
    @Test(arguments: WebhookOrderingCase.allCases)
    func eachDeliveryOfTheOrderingTableHasItsOutcome(_ ordering: WebhookOrderingCase) throws {
        try ordering.run()
    }
}
