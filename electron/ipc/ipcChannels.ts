// The two Electron IPC channel names. Every contract call travels on IPC_CALL as (channel, input); the router
// decides, so an unknown channel gets a typed unknown_channel instead of Electron's "no handler" rejection.
export const IPC_CALL = 'ecps:call';
export const IPC_EVENT = 'ecps:event';
