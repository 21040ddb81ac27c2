package io.sluice.app.tenancy;

import io.sluice.core.quota.QuotaBook;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The quota book (SCH-3) is plain Java in core; {@link TenantDirectory} fills it, admission and dispatch read it. */
@ApplicationScoped
public class TenancyWiring {
    @Produces
    @Singleton
    QuotaBook quotaBook() {
        return new QuotaBook();
    }
}
