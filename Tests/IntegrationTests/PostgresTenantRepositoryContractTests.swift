import Postgres
import Testing

@testable import TenantWhatsApp

/// ``PostgresTenantRepository`` keeps the shared cases of ``TenantRepositoryContract`` (which UnitTests run against
/// the in-memory fake), each on a freshly migrated database of the test PostgreSQL.
@Suite("Tenant repository contract: PostgreSQL")
struct PostgresTenantRepositoryContractTests {
    @Test(arguments: TenantRepositoryContract.allCases)
    func postgreSQLKeepsTheContract(_ rule: TenantRepositoryContract) throws {
        let databaseURL = try TestPostgres.shared.createDatabase("contract_\(UInt32.random(in: 0...UInt32.max))")
        try TestStack.migrate(databaseURL: databaseURL)
        let pool = PostgresPool(connectionString: databaseURL, size: 2, borrowTimeout: .seconds(10))
        try pool.query("INSERT INTO tenants (id) VALUES ('t1'), ('t2')")
        try rule.run { PostgresTenantRepository(pool: pool) }
    }
}
