export { consoleRoutes } from './routes';
export { consoleSecurityHeaders } from './security-headers';
