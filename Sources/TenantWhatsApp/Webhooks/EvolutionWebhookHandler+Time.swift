import HTTPServer
import JWT
import Runtime

extension EvolutionWebhookHandler {
    /// When the event happened, UTC: its `date_time` read and checked against this host's clock, then converted with
    /// the delivering server's learned offset (which this delivery teaches too); 400 `invalid_body` when it is missing,
    /// no real instant or explained by no time zone. Swift only up to here: PostgreSQL never sees a bad time.
    func instant(
        of delivery: WebhookDelivery, from server: EvolutionServerID, claims: JWTClaims, context: RequestContext
    ) throws(APIError) -> Timestamp {
        let receivedAt = now()
        let reading: EvolutionDateTime
        do {
            reading = try delivery.dateTime()
            try reading.check(against: receivedAt)
        } catch {
            context.logMetadata["dateTime"] = .string(error.description)
            throw APIError(.invalidBody)
        }
        let issuedAt = claims["iat"]?.doubleValue.map { Timestamp(millisecondsSinceEpoch: Int64($0) * 1000) }
        let offset = clocks.offset(of: server, reading: reading, issuedAt: issuedAt, receivedAt: receivedAt)
        context.logMetadata["clockOffset"] = .string(offset.description)
        return offset.instant(of: reading)
    }
}
