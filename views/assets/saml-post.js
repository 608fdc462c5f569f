// Sends the SAML response on to the application as soon as the page has loaded. A file of its
// own, because the Content-Security-Policy allows no inline script; without script, the page's
// Continue button posts the same form.
const form = document.querySelector('form[data-saml-post]');
if (form instanceof HTMLFormElement) form.submit();
