import Testing

@testable import TenantWhatsApp

/// The in-memory fake of the tenant rows keeps the rules of the SQL it stands for: the shared cases of
/// ``TenantRepositoryContract``, which IntegrationTests run against PostgreSQL.
@Suite("Tenant repository contract: the in-memory fake")
struct TenantRepositoryContractTests {
    @Test(arguments: TenantRepositoryContract.allCases)
    func theInMemoryFakeKeepsTheContract(_ rule: TenantRepositoryContract) throws {
        try rule.run {
            let repository = FakeTenantRepository()
            repository.seed(TenantRepositoryContract.t1, .empty)
            repository.seed(TenantRepositoryContract.t2, .empty)
            return repository
        }
    }
}
