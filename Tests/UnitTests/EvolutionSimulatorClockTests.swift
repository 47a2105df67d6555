import JSON
import Runtime
import Testing

@testable import EvolutionSimulator

/// The simulated host's time zone: `date_time` is its local wall-clock time with a `Z` stuck on, as Evolution writes
/// it, while the token's `iat` stays UTC (docs/simulator.md, docs/webhooks.md).
@Suite("Evolution simulator clock")
struct EvolutionSimulatorClockTests {
    /// The `date_time` and the token's `iat` (milliseconds) of every delivery queued since the last call.
    private func stamps(_ harness: inout SimulatorHarness) -> [(dateTime: Timestamp, issuedAt: Int64)] {
        harness.state.takeOutbox().compactMap { delivery in
            guard let text = (try? JSONParser().parse(delivery.body))?["date_time"]?.stringValue,
                let dateTime = Timestamp(iso8601: text),
                let authorization = delivery.headers.first(where: { $0.name == "Authorization" })?.value,
                let payload = authorization.split(separator: ".").dropFirst().first,
                let claims = Base64Digits.url.decode(ArraySlice(payload.utf8)),
                let issuedAt = (try? JSONParser().parse(claims))?["iat"]?.integerValue
            else { return nil }
            return (dateTime, Int64(issuedAt) * 1000)
        }
    }

    @Test(arguments: [-180, 0, 540, 840, -720])
    func dateTimeIsTheHostsWallClockAndTheTokenStaysUTC(offsetMinutes: Int) {
        var harness = SimulatorHarness { $0.timeZoneOffsetMinutes = offsetMinutes }
        let before = Timestamp.now().millisecondsSinceEpoch
        harness.create("t1", extra: EvolutionSimulatorEventTests.productWebhook)
        let after = Timestamp.now().millisecondsSinceEpoch
        let sent = stamps(&harness)

        #expect(sent.count == 2)
        let offset = Int64(offsetMinutes) * 60_000
        for stamp in sent {
            #expect((before + offset...after + offset).contains(stamp.dateTime.millisecondsSinceEpoch))
            // iat is whole seconds of the real time, taken as the delivery is signed.
            #expect((before / 1000 * 1000...after).contains(stamp.issuedAt))
        }
    }

    @Test func theOffsetIsReadFromTheEnvironmentAndThePatchWithinEveryTimeZone() throws {
        let environment = ["SIM_API_KEY": "k", "SIM_TIME_ZONE_OFFSET_MINUTES": "-180"]
        #expect(try SimulatorSettings.load(from: environment).timeZoneOffsetMinutes == -180)
        #expect(try SimulatorSettings.load(from: ["SIM_API_KEY": "k"]).timeZoneOffsetMinutes == 0)
        for bad in ["-721", "841", "9.5", "+", "abc", "-"] {
            #expect(throws: ConfigurationError.self, "\(bad)") {
                try SimulatorSettings.load(from: ["SIM_API_KEY": "k", "SIM_TIME_ZONE_OFFSET_MINUTES": bad])
            }
        }
        let settings = SimulatorSettings(apiKey: "k")
        #expect(try settings.applying(["timeZoneOffsetMinutes": 540]).timeZoneOffsetMinutes == 540)
        #expect(try settings.applying(["timeZoneOffsetMinutes": 540]).json["timeZoneOffsetMinutes"] == 540)
        #expect(throws: SimulatorControlError.badRequest("timeZoneOffsetMinutes must be an integer from -720 to 840")) {
            try settings.applying(["timeZoneOffsetMinutes": 900])
        }
    }
}
