namespace EnvForge.Domain.Common;

/// <summary>
/// One stream's decisions as a single value: how a command is decided against the state, and how an event evolves the
/// state. The initial state is <c>null</c> (the stream does not exist yet). Both command paths (the API's and the
/// activities') take a decider, so every capability loads, decides and appends the same way.
/// </summary>
/// <typeparam name="TCommand">The stream's closed family of commands.</typeparam>
/// <typeparam name="TState">The state decisions need, rebuilt from the stream's events.</typeparam>
public sealed class Decider<TCommand, TState>(Func<TCommand, TState?, Decision> decide, Func<TState?, IDomainEvent, TState?> evolve)
    where TState : class
{
    public Decision Decide(TCommand command, TState? state) => decide(command, state);

    public TState? Evolve(TState? state, IDomainEvent @event) => evolve(state, @event);

    /// <summary>The state after <paramref name="events"/>, applied in order.</summary>
    public TState? Fold(TState? state, IEnumerable<IDomainEvent> events)
    {
        foreach (var e in events)
        {
            state = evolve(state, e);
        }

        return state;
    }
}
