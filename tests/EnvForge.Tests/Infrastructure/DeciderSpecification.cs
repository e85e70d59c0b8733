using EnvForge.Domain.Common;

namespace EnvForge.Tests.Infrastructure;

/// <summary>Given(events).When(command).Then(events) / ThenRejects(code) / ThenNothing() for a pure decider.</summary>
public sealed class DeciderSpecification<TState, TEvent, TCommand>(
    Func<TCommand, TState?, Decision> decide, Func<TState?, TEvent, TState?> evolve)
    where TState : class
    where TEvent : IDomainEvent
{
    private TState? _state;
    private Decision? _decision;

    public DeciderSpecification<TState, TEvent, TCommand> Given(params TEvent[] events)
    {
        _state = events.Aggregate(_state, evolve);
        return this;
    }

    public DeciderSpecification<TState, TEvent, TCommand> When(TCommand command)
    {
        _decision = decide(command, _state);
        return this;
    }

    public void Then(params TEvent[] expected)
    {
        var decision = _decision ?? throw new InvalidOperationException("call When first");
        Assert.Null(decision.Rejection);
        // Compared as type + JSON: events are records, but list members compare by reference.
        Assert.Equal(expected.Select(e => Describe(e)), decision.Events.Select(Describe));
    }

    private static string Describe(IDomainEvent e) => $"{e.GetType().Name} {System.Text.Json.JsonSerializer.Serialize(e, e.GetType())}";

    public void ThenNothing()
    {
        var decision = _decision ?? throw new InvalidOperationException("call When first");
        Assert.Null(decision.Rejection);
        Assert.Empty(decision.Events);
    }

    public Rejection ThenRejects(string code)
    {
        var decision = _decision ?? throw new InvalidOperationException("call When first");
        Assert.Empty(decision.Events);
        Assert.NotNull(decision.Rejection);
        Assert.Equal(code, decision.Rejection.Code);
        return decision.Rejection;
    }
}
