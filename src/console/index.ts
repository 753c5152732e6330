export { accessConfig, useAccessCertsFetch, verifyAccessJwt } from './access';
export { consoleRoutes } from './routes';
export { consoleSecurityHeaders } from './security-headers';
export { csrfToken, mintSession, SESSION_IDLE_S, SESSION_MAX_S, verifySession } from './session';
