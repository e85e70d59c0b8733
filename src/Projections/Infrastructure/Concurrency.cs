using JasperFx;
using JasperFx.Events;

namespace EnvForge.Projections.Infrastructure;

public static class Concurrency
{
    /// <summary>
    /// Whether a save failed because another writer appended to the stream first (the expected-version check), however
    /// Marten wraps it. The caller decides again on what is there now, or answers 409/412.
    /// </summary>
    public static bool IsConflict(Exception ex) => ex is ConcurrencyException or EventStreamUnexpectedMaxEventIdException
        || ex.InnerException is ConcurrencyException or EventStreamUnexpectedMaxEventIdException;
}
