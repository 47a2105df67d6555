/// What one `migrate` run did.
public struct MigrationReport: Sendable, Equatable {
    /// The files applied by this run, in the order they were applied.
    public let applied: [String]
    /// How many files had been applied before this run (and were left alone).
    public let alreadyAppliedCount: Int

    /// Creates a report.
    public init(applied: [String], alreadyAppliedCount: Int) {
        self.applied = applied
        self.alreadyAppliedCount = alreadyAppliedCount
    }
}
