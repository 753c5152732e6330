export { accessConfig, useAccessCertsFetch, verifyAccessJwt } from './access';
export { consoleRoutes, consoleSecurityHeaders } from './routes';
export { csrfToken, mintSession, SESSION_IDLE_S, SESSION_MAX_S, verifySession } from './session';
