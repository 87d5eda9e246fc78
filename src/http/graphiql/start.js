// Runs before GraphiQL's bundle, so Monaco finds its workers on this origin (CSP: worker-src 'self'),
// then renders once the document is parsed. Options come from a JSON block, not inline script.
(() => {
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => options.workers[label],
  };
  document.addEventListener('DOMContentLoaded', () => {
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options.graphiql);
  });
})();
